/* One-pass scanners for the runtime line formats: the Multus log and logrus text (containerd).
 *
 * Why C: the vectorised polars path of these formats runs a chain of column passes per chunk
 * (header split, stamps, Add: split, escaping, JSON checks) and materialises intermediate
 * string columns; here each line is read once, in place.
 *
 * The output mirrors _kscan.c: Arrow string views (16 bytes a row) into two buffers, buffer 0
 * the chunk's slice of the file's bytes (raw line, message, identities: nothing copied) and
 * buffer 1 new text (unquoted values, the `fields` JSON, kind and level names).
 *
 * A row is emitted only when the scanner gives exactly what the careful path
 * (formats/multus_log.py, formats/containerd.py with formats/_logrus_vec.py) gives for it;
 * every other line is marked slow and left to that path. Lines with a byte outside printable
 * ASCII are always slow, so Unicode classes of the careful path's regexes never matter here.
 * Rows whose message needs the Python classifier are emitted with a trigger flag: the caller
 * classifies them once per distinct text, as the careful path does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

typedef struct {
    const char *p;
    Py_ssize_t n;
} span_t;

/* A string value: in the file (buffer 0) or in the new text (buffer 1, at `off`). */
typedef struct {
    const char *p;
    Py_ssize_t n;
    int in_text;
    Py_ssize_t off;
    int set;
} val_t;

#define MAXCOLS 16
#define MAX_PAIRS 64
/* slots of the table of fields texts already written (dedupe_fields; a power of two) */
#define SEEN_SLOTS 1024
#define MAX_DEPTH 100

typedef struct {
    const char *data;
    Py_ssize_t size;
    const int64_t *starts, *lens;
    Py_ssize_t nlines;
    Py_ssize_t base;
    int ncols;
    uint8_t *views[MAXCOLS];
    uint8_t *valid[MAXCOLS];
    int64_t *time;
    uint8_t *trig;
    uint8_t *slow;
    char *text;
    Py_ssize_t text_len, text_cap;
    char *scratch; /* one unquoted value */
    Py_ssize_t m;
    int oom;
    int odd; /* logrus: a header line whose stamp the byte reader does not take */
    /* fields JSON texts written so far, by hash (dedupe_fields) */
    Py_ssize_t seen_off[SEEN_SLOTS], seen_n[SEEN_SLOTS];
} scan_t;

#include "_scan_shared.h"

static inline int is_word(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
/* [\w.\-/]: logrus keys */
static inline int is_key(char c) { return is_word(c) || c == '.' || c == '-' || c == '/'; }

/* Every byte printable ASCII (0x20..0x7e), eight at a time */
static int printable(const char *p, Py_ssize_t n) {
    const uint64_t high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
    Py_ssize_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t w;
        memcpy(&w, p + k, 8);
        /* a byte < 0x20 or >= 0x7f: (w - 0x20..) borrows, or (w + 0x01..) reaches 0x80 */
        if ((w & high) || ((w - ones * 0x20) & ~w & high) || ((w + ones) & high)) return 0;
    }
    for (; k < n; k++)
        if ((unsigned char)p[k] < 0x20 || (unsigned char)p[k] >= 0x7f) return 0;
    return 1;
}

static int starts_with(const char *p, Py_ssize_t n, const char *lit) {
    Py_ssize_t l = (Py_ssize_t)strlen(lit);
    return n >= l && !memcmp(p, lit, (size_t)l);
}

static int eq_at(const char *p, Py_ssize_t n, Py_ssize_t at, const char *lit) {
    Py_ssize_t l = (Py_ssize_t)strlen(lit);
    return at >= 0 && at + l <= n && !memcmp(p + at, lit, (size_t)l);
}

/* memmem for short needles in short texts: memchr on the first byte, then memcmp (glibc's
 * memmem sets up a shift table per call, which costs more than these searches) */
static const char *search(const char *p, Py_ssize_t n, const char *lit, Py_ssize_t l) {
    const char *end = p + n;
    if (l == 0) return p;
    while (end - p >= l) {
        const char *q = memchr(p, lit[0], (size_t)(end - p - l + 1));
        if (!q) return NULL;
        if (!memcmp(q + 1, lit + 1, (size_t)(l - 1))) return q;
        p = q + 1;
    }
    return NULL;
}

static const char *find(const char *p, Py_ssize_t n, const char *lit) {
    return search(p, n, lit, (Py_ssize_t)strlen(lit));
}

/* ---- output --------------------------------------------------------------------------- */

static inline void put_lit(scan_t *s, const char *lit) { put(s, lit, (Py_ssize_t)strlen(lit)); }

/* A value of the text buffer starting at `off` up to the current end */
static val_t text_val(scan_t *s, Py_ssize_t off) {
    return (val_t){s->text + off, s->text_len - off, 1, off, 1};
}

static void put_view(scan_t *s, int col, Py_ssize_t row, val_t v) {
    uint8_t *w = s->views[col] + 16 * row;
    memset(w, 0, 16);
    if (!v.set) {
        if (s->valid[col]) s->valid[col][row >> 3] &= (uint8_t)~(1u << (row & 7));
        return;
    }
    uint32_t len = (uint32_t)v.n;
    memcpy(w, &len, 4);
    if (v.n <= 12) {
        memcpy(w + 4, v.p, (size_t)v.n);
    } else {
        int32_t buf = v.in_text ? 1 : 0;
        uint32_t o = (uint32_t)(v.in_text ? v.off : (v.p - s->data) - s->base);
        memcpy(w + 4, v.p, 4);
        memcpy(w + 8, &buf, 4);
        memcpy(w + 12, &o, 4);
    }
    if (s->valid[col]) s->valid[col][row >> 3] |= (uint8_t)(1u << (row & 7));
}

/* ---- RFC 3339 stamps (formats/_stampvec.py, rule for rule) ------------------------------- */

#define STAMP_WIDTH 40

/* UTC microseconds of the stamp of ts_len bytes at data[at]; 0 when rfc3339_micros would
 * flag it. The 40-byte block reads past the stamp (zeros past the data's end), as there. */
static int stamp(const scan_t *s, Py_ssize_t at, Py_ssize_t ts_len, int64_t *out) {
    unsigned char b[STAMP_WIDTH];
    int d[STAMP_WIDTH];
    for (int k = 0; k < STAMP_WIDTH; k++) {
        b[k] = at + k < s->size ? (unsigned char)s->data[at + k] : 0;
        d[k] = (int)b[k] - '0';
    }
#define DIG(k) (b[k] >= '0' && b[k] <= '9')
#define AT(pos) b[(pos) < 0 ? 0 : ((pos) > STAMP_WIDTH - 1 ? STAMP_WIDTH - 1 : (pos))]
    static const int date_digits[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    for (int k = 0; k < 14; k++)
        if (!DIG(date_digits[k])) return 0;
    if (b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':') return 0;
    if (ts_len > STAMP_WIDTH) return 0;
    Py_ssize_t tl = ts_len < 1 ? 1 : ts_len;
    int utc = AT(tl - 1) == 'Z';
    int colon = !utc && AT(tl - 3) == ':';
    Py_ssize_t zone_len = utc ? 1 : (colon ? 6 : 5);
    Py_ssize_t sign_at = tl - zone_len;
    unsigned char sign = AT(sign_at);
    if (!utc && sign != '+' && sign != '-') return 0;
    int off_hour = 0, off_min = 0;
    if (!utc) {
        Py_ssize_t zpos[4];
        for (int k = 0; k < 4; k++) zpos[k] = sign_at + (colon ? (k < 2 ? k + 1 : k + 2) : k + 1);
        int zd[4];
        for (int k = 0; k < 4; k++) {
            zd[k] = (int)AT(zpos[k]) - '0';
            if (zd[k] < 0 || zd[k] > 9) return 0;
        }
        off_hour = zd[0] * 10 + zd[1];
        off_min = zd[2] * 10 + zd[3];
    }
    Py_ssize_t frac_len = sign_at - 20;
    if (!(frac_len == -1 || (frac_len >= 1 && frac_len <= 9 && b[19] == '.'))) return 0;
    int64_t micro = 0;
    for (int k = 0; k < 9; k++) {
        int inside = k < frac_len;
        if (inside && !DIG(20 + k)) return 0;
        if (k < 6) micro = micro * 10 + (inside ? d[20 + k] : 0);
    }
    int64_t year = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
    int month = d[5] * 10 + d[6], day = d[8] * 10 + d[9];
    int hh = d[11] * 10 + d[12], mi = d[14] * 10 + d[15], ss = d[17] * 10 + d[18];
    if (month < 1 || month > 12 || year < 1 || year > 9999) return 0;
    int leap = (year % 4 == 0) && (year % 100 != 0 || year % 400 == 0);
    if (day < 1 || day > DAYS_IN_MONTH[month] + (month == 2 && leap)) return 0;
    if (hh > 23 || mi > 59 || ss > 59 || off_hour > 23 || off_min > 59) return 0;
    int64_t offset = ((int64_t)off_hour * 60 + off_min) * 60000000LL;
    *out = ((days_from_civil(year, month, day) * 24 + hh) * 60 + mi) * 60000000LL +
           ss * 1000000LL + micro - (sign == '-' ? -offset : offset);
    return 1;
#undef DIG
#undef AT
}

/* ---- Go strings ------------------------------------------------------------------------------ */

/* Index of the closing quote of a Go string whose body starts at p: the first quote no odd
 * backslash run escapes (`"(?:[^"\\]|\\.)*"`); -1 when unclosed. */
static Py_ssize_t close_quote(const char *p, Py_ssize_t n) {
    const char *q = p, *end = p + n;
    while (q < end) {
        const char *c = memchr(q, '"', (size_t)(end - q));
        if (!c) return -1;
        const char *b = c; /* a quote after an even run of backslashes closes */
        while (b > p && b[-1] == '\\') b--;
        if (((c - b) & 1) == 0) return c - p;
        q = c + 1;
    }
    return -1;
}

/* go_unquote of a closed body into the text buffer (formats/_logrus.py); 0 when an escape
 * needs the careful path (\x \u \U octal). */
static Py_ssize_t unquote_to(char *out, const char *p, Py_ssize_t n) {
    Py_ssize_t o = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        char c = p[k];
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
        if (k + 1 >= n) return -1;
        char e = p[++k];
        switch (e) {
        case 'a': out[o++] = '\a'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case '\\': out[o++] = '\\'; break;
        case '\'': out[o++] = '\''; break;
        case '"': out[o++] = '"'; break;
        default:
            if (e == 'x' || e == 'u' || e == 'U' || (e >= '0' && e <= '7')) return -1;
            out[o++] = '\\';
            out[o++] = e;
        }
    }
    return o;
}

static int unquote_into(scan_t *s, const char *p, Py_ssize_t n) {
    Py_ssize_t o = unquote_to(s->text + s->text_len, p, n);
    if (o < 0) return 0;
    s->text_len += o;
    return 1;
}

/* A logrus value as the careful path reads it: quoted -> unquoted (a view when it holds no
 * backslash), bare -> as written. 0: careful path. */
static int go_value(scan_t *s, const char *p, Py_ssize_t n, val_t *out) {
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        const char *in = p + 1;
        Py_ssize_t len = n - 2;
        if (!memchr(in, '\\', (size_t)len)) {
            *out = file_val(in, len);
            return 1;
        }
        Py_ssize_t off = s->text_len;
        if (!unquote_into(s, in, len)) {
            s->text_len = off;
            return 0;
        }
        *out = text_val(s, off);
        return 1;
    }
    *out = file_val(p, n);
    return 1;
}

/* ---- strict JSON (what polars' json_path_match accepts, and a little less) ---------------- */

static Py_ssize_t json_ws(const char *p, Py_ssize_t n, Py_ssize_t k) {
    while (k < n && p[k] == ' ') k++;
    return k;
}

/* End of the JSON value at p[k], or -1 (invalid or unsure: exponents, long numbers, \u). */
static Py_ssize_t json_value(const char *p, Py_ssize_t n, Py_ssize_t k, int depth) {
    if (k >= n || depth > MAX_DEPTH) return -1;
    char c = p[k];
    if (c == '"') {
        for (k++; k < n; k++) {
            if (p[k] == '"') return k + 1;
            if (p[k] == '\\') {
                if (k + 1 >= n || !strchr("\"\\/bfnrt", p[k + 1])) return -1;
                k++;
            }
        }
        return -1;
    }
    if (c == '{' || c == '[') {
        char end = c == '{' ? '}' : ']';
        k = json_ws(p, n, k + 1);
        if (k < n && p[k] == end) return k + 1;
        for (;;) {
            if (c == '{') {
                if (k >= n || p[k] != '"') return -1;
                k = json_value(p, n, k, depth + 1);
                if (k < 0) return -1;
                k = json_ws(p, n, k);
                if (k >= n || p[k] != ':') return -1;
                k = json_ws(p, n, k + 1);
            }
            k = json_value(p, n, k, depth + 1);
            if (k < 0) return -1;
            k = json_ws(p, n, k);
            if (k < n && p[k] == ',') {
                k = json_ws(p, n, k + 1);
                continue;
            }
            if (k < n && p[k] == end) return k + 1;
            return -1;
        }
    }
    if (c == '-' || is_digit(c)) {
        Py_ssize_t d0 = k;
        if (c == '-') k++;
        if (k >= n || !is_digit(p[k])) return -1;
        if (p[k] == '0') {
            k++;
        } else {
            while (k < n && is_digit(p[k])) k++;
        }
        if (k < n && p[k] == '.') {
            k++;
            if (k >= n || !is_digit(p[k])) return -1;
            while (k < n && is_digit(p[k])) k++;
        }
        if (k < n && (p[k] == 'e' || p[k] == 'E')) return -1;
        if (k - d0 > 15) return -1;
        return k;
    }
    if (eq_at(p, n, k, "true")) return k + 4;
    if (eq_at(p, n, k, "false")) return k + 5;
    if (eq_at(p, n, k, "null")) return k + 4;
    return -1;
}

/* End of any JSON value at p[k] in text canon() accepted (strings with escapes, numbers,
 * nested values), or -1 */
static Py_ssize_t json_value_any(const char *p, Py_ssize_t n, Py_ssize_t k) {
    if (k >= n) return -1;
    char c = p[k];
    if (c == '"') {
        for (k++; k < n; k++) {
            if (p[k] == '"') return k + 1;
            if (p[k] == '\\') k++;
        }
        return -1;
    }
    if (c == '{' || c == '[') {
        int depth = 0;
        for (; k < n; k++) {
            char d = p[k];
            if (d == '"') {
                for (k++; k < n && p[k] != '"'; k++)
                    if (p[k] == '\\') k++;
            } else if (d == '{' || d == '[') {
                depth++;
            } else if (d == '}' || d == ']') {
                if (--depth == 0) return k + 1;
            }
        }
        return -1;
    }
    while (k < n && (is_digit(p[k]) || p[k] == '-' || (p[k] >= 'a' && p[k] <= 'z'))) k++;
    return k;
}

/* ---- the Multus log (formats/multus_log.py) ------------------------------------------------ */

enum { M_RAW, M_MESSAGE, M_LEVEL, M_KIND, M_NAMESPACE, M_POD, M_POD_UID, M_NETWORK,
       M_INTERFACE, M_IPS, M_ERROR, M_SANDBOX, M_FIELDS, M_NCOLS };

enum { L_PANIC, L_ERROR, L_VERBOSE, L_DEBUG };

/* The header `<RFC 3339> [<level>] ` of _multus_msg.HEADER_PREFIX (ASCII digits only): its
 * length, the stamp's length and the level; 0 when the line surely has no such header (or
 * has it only with non-ASCII digits, which the caller treats as unsure). */
static Py_ssize_t multus_header(const char *p, Py_ssize_t n, Py_ssize_t *ts_len, int *lvl) {
    static const int dig[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    if (n < 29) return 0;
    for (int k = 0; k < 14; k++)
        if (!is_digit(p[dig[k]])) return 0;
    if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':') return 0;
    Py_ssize_t k = 19;
    if (p[k] == 'Z') {
        k++;
    } else if (p[k] == '+' || p[k] == '-') {
        if (!is_digit(p[k + 1]) || !is_digit(p[k + 2])) return 0;
        k += 3;
        if (p[k] == ':') k++;
        if (k + 2 > n || !is_digit(p[k]) || !is_digit(p[k + 1])) return 0;
        k += 2;
    } else {
        return 0;
    }
    *ts_len = k;
    if (k + 2 > n || p[k] != ' ' || p[k + 1] != '[') return 0;
    k += 2;
    static const char *names[] = {"panic] ", "error] ", "verbose] ", "debug] "};
    for (int l = 0; l < 4; l++)
        if (eq_at(p, n, k, names[l])) {
            *lvl = l;
            return k + (Py_ssize_t)strlen(names[l]);
        }
    return 0;
}

/* 1 when the line surely starts with a klog header (_multus_klog.KLOG_HEAD, ASCII digits):
 * client-go's lines in a thick daemon's log start a record of their own. */
static int klog_head(const char *p, Py_ssize_t n) {
    static const int dig[] = {1, 2, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 17, 18, 19, 20};
    if (n < 26 || (p[0] != 'I' && p[0] != 'W' && p[0] != 'E' && p[0] != 'F')) return 0;
    for (int k = 0; k < 16; k++)
        if (!is_digit(p[dig[k]])) return 0;
    if (p[5] != ' ' || p[8] != ':' || p[11] != ':' || p[14] != '.' || p[21] != ' ') return 0;
    Py_ssize_t k = 21;
    while (k < n && p[k] == ' ') k++;
    Py_ssize_t d = k;
    while (k < n && is_digit(p[k])) k++;
    if (k == d || k >= n || p[k] != ' ') return 0;
    Py_ssize_t c = ++k;
    while (k < n && p[k] != ' ' && p[k] != ']') k++;
    return k > c && k + 1 < n && p[k] == ']' && p[k + 1] == ' ';
}

/* _multus_msg.TRIGGER on a one-line message: may it name more than level and text? */
static int multus_trigger(const char *m, Py_ssize_t n) {
    if (starts_with(m, n, "Add: ") || starts_with(m, n, "Del: ") || starts_with(m, n, "Check: ") ||
        starts_with(m, n, "Status: ") || starts_with(m, n, "multus-daemon started") ||
        starts_with(m, n, "caught ") || starts_with(m, n, "Delete old config"))
        return 1;
    for (Py_ssize_t k = 0; k < n; k++) {
        switch (m[k]) {
        case '[':
            if (k + 1 < n && ((m[k + 1] >= 'a' && m[k + 1] <= 'z') || is_digit(m[k + 1])))
                return 1;
            break;
        case 'C':
            if (eq_at(m, n, k, "CNI request") || eq_at(m, n, k, "Config file created") ||
                eq_at(m, n, k, "ContainerID") || eq_at(m, n, k, "Could not allocate IP"))
                return 1;
            break;
        case 'E':
            if (eq_at(m, n, k, "ERRORED")) return 1;
            break;
        case 'M':
            if (eq_at(m, n, k, "MultusCNI config")) return 1;
            break;
        case 'd':
            if (eq_at(m, n, k, "daemon is exited")) return 1;
            break;
        case 'S':
            if (eq_at(m, n, k, "StdinData:[")) return 1;
            break;
        case 's':
            if (eq_at(m, n, k, "storage engine")) return 1;
            break;
        case 'I':
            if (eq_at(m, n, k, "IP pools") || eq_at(m, n, k, "IPAM client")) return 1;
            break;
        case 'O':
            if (eq_at(m, n, k, "OverlappingRange")) return 1;
            break;
        case 'w':
            if (eq_at(m, n, k, "waiting to become leader")) return 1;
            break;
        }
    }
    return 0;
}

/* `"address"\s*:\s*"([^"]+)"` matches in t, non-overlapping, leftmost first: their count,
 * the first value, and all values comma-joined into the text buffer when there are several. */
static int addresses(scan_t *s, const char *t, Py_ssize_t n, val_t *ips) {
    int count = 0;
    span_t first = {0};
    Py_ssize_t off = s->text_len;
    const char *p = t, *end = t + n;
    while (p < end) {
        const char *q = search(p, end - p, "\"address\"", 9);
        if (!q) break;
        Py_ssize_t k = (q - t) + 9;
        while (k < n && t[k] == ' ') k++;
        if (k < n && t[k] == ':') {
            k++;
            while (k < n && t[k] == ' ') k++;
            if (k < n && t[k] == '"') {
                const char *v = t + k + 1;
                const char *close = memchr(v, '"', (size_t)(end - v));
                if (close && close > v) {
                    if (count == 0) first = (span_t){v, close - v};
                    if (count == 1) put(s, first.p, first.n);
                    if (count >= 1) {
                        putc_(s, ',');
                        put(s, v, close - v);
                    }
                    count++;
                    p = close + 1;
                    continue;
                }
            }
        }
        p = q + 1;
    }
    if (count == 1) *ips = file_val(first.p, first.n);
    else if (count > 1) *ips = text_val(s, off);
    return count;
}

/* The json_str() body of a text with no control characters: \ and " escaped */
static void put_json_str(scan_t *s, const char *p, Py_ssize_t n) {
    putc_(s, '"');
    for (Py_ssize_t k = 0; k < n; k++) {
        if (p[k] == '\\' || p[k] == '"') putc_(s, '\\');
        putc_(s, p[k]);
    }
    putc_(s, '"');
}

/* The Add: columns of multus_log._add_columns; 0: careful path (a result that is not an
 * object this checker is sure about). A message that is not an Add: line leaves them null. */
static int multus_add(scan_t *s, const char *m, Py_ssize_t n, val_t *cols, int *is_add) {
    *is_add = 0;
    if (!starts_with(m, n, "Add: ")) return 1;
    /* ^Add: ns:pod:uid:net(conf):if  with [^:\s] parts, net also without "(" */
    Py_ssize_t k = 5, part[4][2];
    for (int j = 0; j < 4; j++) {
        Py_ssize_t a = k;
        while (k < n && m[k] != ':' && m[k] != ' ' && !(j == 3 && m[k] == '(')) k++;
        part[j][0] = a;
        part[j][1] = k - a;
        if (j < 3) {
            if (k >= n || m[k] != ':') return 1;
            k++;
        }
    }
    if (k >= n || m[k] != '(') return 1;
    Py_ssize_t conf = ++k;
    while (k < n && m[k] != ')') k++;
    if (k + 1 >= n || m[k + 1] != ':') return 1;
    Py_ssize_t conf_n = k - conf;
    k += 2;
    Py_ssize_t ifa = k;
    while (k < n && m[k] != ':' && m[k] != ' ') k++;
    if (k == ifa) return 1;
    *is_add = 1;
    span_t res = {m + k, n - k}; /* a_result: the rest, with its leading space */
    while (res.n && res.p[0] == ' ') res.p++, res.n--;
    while (res.n && res.p[res.n - 1] == ' ') res.n--;
    if (res.n && !(res.p[0] == '{' && json_value(res.p, res.n, 0, 0) == res.n)) return 0;
    cols[M_KIND] = (val_t){0}; /* set by the caller */
    cols[M_NAMESPACE] = file_val(m + part[0][0], part[0][1]);
    cols[M_POD] = file_val(m + part[1][0], part[1][1]);
    if (!(part[2][1] == 10 && !memcmp(m + part[2][0], "unknownUID", 10)))
        cols[M_POD_UID] = file_val(m + part[2][0], part[2][1]);
    cols[M_NETWORK] = part[3][1] ? file_val(m + part[3][0], part[3][1]) : file_val(m + conf, conf_n);
    cols[M_INTERFACE] = file_val(m + ifa, k - ifa);
    addresses(s, m + k, n - k, &cols[M_IPS]);
    Py_ssize_t off = s->text_len;
    put_lit(s, "{\"conf\": ");
    put_json_str(s, m + conf, conf_n);
    put_lit(s, ", \"result\": ");
    if (res.n) put(s, res.p, res.n);
    else put_lit(s, "null");
    putc_(s, '}');
    cols[M_FIELDS] = text_val(s, off);
    return 1;
}

/* ---- json.dumps(json.loads(text), sort_keys=True, ensure_ascii=False) ------------------ */

static Py_ssize_t canon_ws(const char *p, Py_ssize_t n, Py_ssize_t k) {
    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r')) k++;
    return k;
}

/* End of the JSON string at p[k] (a quote), or -1: control characters (json.loads rejects
 * them), \u escapes and invalid escapes are left to the careful path. */
static Py_ssize_t canon_string_end(const char *p, Py_ssize_t n, Py_ssize_t k, int *escaped) {
    *escaped = 0;
    for (k++; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        if (c == '"') return k + 1;
        if (c < 0x20) return -1;
        if (c == '\\') {
            if (k + 1 >= n || !strchr("\"\\/bfnrt", p[k + 1]) || !p[k + 1]) return -1;
            *escaped = 1;
            k++;
        }
    }
    return -1;
}

/* The canonical form of the JSON value at p[k] written to the text buffer; its end or -1
 * (floats, -0, long numbers, \u, repeated keys, deep nesting: unsure). */
static Py_ssize_t canon(scan_t *s, const char *p, Py_ssize_t n, Py_ssize_t k, int depth) {
    if (k >= n || depth > 64) return -1;
    char c = p[k];
    if (c == '"') {
        int esc;
        Py_ssize_t e = canon_string_end(p, n, k, &esc);
        if (e < 0) return -1;
        putc_(s, '"');
        for (Py_ssize_t j = k + 1; j < e - 1; j++) {
            char ch = p[j];
            if (ch == '\\') {
                char x = p[++j];
                ch = x == 'b' ? '\b' : x == 'f' ? '\f' : x == 'n' ? '\n' : x == 'r' ? '\r'
                   : x == 't' ? '\t' : x;
            }
            put_json(s, &ch, 1);
        }
        putc_(s, '"');
        return e;
    }
    if (c == '[') {
        putc_(s, '[');
        k = canon_ws(p, n, k + 1);
        if (k < n && p[k] == ']') {
            putc_(s, ']');
            return k + 1;
        }
        for (int first = 1;; first = 0) {
            if (!first) put(s, ", ", 2);
            k = canon(s, p, n, k, depth + 1);
            if (k < 0) return -1;
            k = canon_ws(p, n, k);
            if (k < n && p[k] == ',') {
                k = canon_ws(p, n, k + 1);
                continue;
            }
            if (k < n && p[k] == ']') {
                putc_(s, ']');
                return k + 1;
            }
            return -1;
        }
    }
    if (c == '{') {
        span_t keys[MAX_PAIRS];
        Py_ssize_t vals[MAX_PAIRS];
        int nk = 0;
        k = canon_ws(p, n, k + 1);
        if (k < n && p[k] == '}') {
            put(s, "{}", 2);
            return k + 1;
        }
        Py_ssize_t mark = s->text_len;
        for (;;) {
            int esc;
            if (k >= n || p[k] != '"' || nk >= MAX_PAIRS) return -1;
            Py_ssize_t ke = canon_string_end(p, n, k, &esc);
            if (ke < 0 || esc) return -1;
            span_t key = {p + k + 1, ke - k - 2};
            for (int j = 0; j < nk; j++)
                if (keys[j].n == key.n && !memcmp(keys[j].p, key.p, (size_t)key.n)) return -1;
            k = canon_ws(p, n, ke);
            if (k >= n || p[k] != ':') return -1;
            k = canon_ws(p, n, k + 1);
            keys[nk] = key;
            vals[nk++] = k;
            k = canon(s, p, n, k, depth + 1); /* checks the value; rewritten below in order */
            s->text_len = mark;
            if (k < 0) return -1;
            k = canon_ws(p, n, k);
            if (k < n && p[k] == ',') {
                k = canon_ws(p, n, k + 1);
                continue;
            }
            if (k < n && p[k] == '}') break;
            return -1;
        }
        Py_ssize_t end = k + 1;
        int order[MAX_PAIRS];
        for (int a = 0; a < nk; a++) order[a] = a;
        for (int a = 1; a < nk; a++) { /* insertion sort by key (ASCII: Python's str order) */
            int x = order[a], b = a - 1;
            for (; b >= 0; b--) {
                span_t kb = keys[order[b]], kx = keys[x];
                Py_ssize_t l = kb.n < kx.n ? kb.n : kx.n;
                int cmp = memcmp(kb.p, kx.p, (size_t)l);
                if (cmp < 0 || (cmp == 0 && kb.n <= kx.n)) break;
                order[b + 1] = order[b];
            }
            order[b + 1] = x;
        }
        putc_(s, '{');
        for (int a = 0; a < nk; a++) {
            if (a) put(s, ", ", 2);
            putc_(s, '"');
            put_json(s, keys[order[a]].p, keys[order[a]].n);
            put(s, "\": ", 3);
            canon(s, p, n, vals[order[a]], depth + 1);
        }
        putc_(s, '}');
        return end;
    }
    if (c == '-' || is_digit(c)) {
        Py_ssize_t d0 = k;
        if (c == '-') k++;
        if (k >= n || !is_digit(p[k])) return -1;
        if (p[k] == '0' && (c == '-' || (k + 1 < n && is_digit(p[k + 1])))) return -1;
        while (k < n && is_digit(p[k])) k++;
        if (k < n && (p[k] == '.' || p[k] == 'e' || p[k] == 'E')) return -1;
        if (k - d0 > 18) return -1;
        put(s, p + d0, k - d0);
        return k;
    }
    static const char *words[3] = {"true", "false", "null"};
    for (int w = 0; w < 3; w++)
        if (eq_at(p, n, k, words[w])) {
            put_lit(s, words[w]);
            return k + (Py_ssize_t)strlen(words[w]);
        }
    return -1;
}

/* _multus_msg._json_or_text of a JSON object (after strip); 0: unsure (text, other values) */
static int canon_object(scan_t *s, const char *p, Py_ssize_t n) {
    Py_ssize_t a = canon_ws(p, n, 0), mark = s->text_len;
    if (a >= n || p[a] != '{') return 0;
    Py_ssize_t e = canon(s, p, n, a, 0);
    if (e < 0 || canon_ws(p, n, e) != n) {
        s->text_len = mark;
        return 0;
    }
    return 1;
}

/* Members of the JSON object at p[k] (checked by canon): calls fn for each (key, value at) */
static Py_ssize_t member_value(const char *p, Py_ssize_t n, Py_ssize_t k, const char *key) {
    Py_ssize_t l = (Py_ssize_t)strlen(key);
    k = canon_ws(p, n, k + 1);
    while (k < n && p[k] == '"') {
        int esc;
        Py_ssize_t ke = canon_string_end(p, n, k, &esc);
        Py_ssize_t v = canon_ws(p, n, canon_ws(p, n, ke) + 1);
        if (ke - k - 2 == l && !memcmp(p + k + 1, key, (size_t)l)) return v;
        Py_ssize_t e = json_value_any(p, n, v);
        if (e < 0) return -1;
        k = canon_ws(p, n, e);
        if (k < n && p[k] == ',') k = canon_ws(p, n, k + 1);
        else break;
    }
    return -1;
}

/* _multus_msg.ips_of of a checked JSON object: addresses of result["ips"][*]["address"] */
static int result_ips(scan_t *s, const char *p, Py_ssize_t n, val_t *ips) {
    Py_ssize_t a = canon_ws(p, n, 0);
    Py_ssize_t v = member_value(p, n, a, "ips");
    if (v < 0 || p[v] != '[') return 1; /* no list: no addresses */
    Py_ssize_t off = s->text_len, k = canon_ws(p, n, v + 1);
    int count = 0;
    while (k < n && p[k] != ']') {
        if (p[k] == '{') {
            Py_ssize_t av = member_value(p, n, k, "address");
            if (av >= 0 && p[av] == '"') {
                int esc;
                Py_ssize_t ae = canon_string_end(p, n, av, &esc);
                if (esc) {
                    s->text_len = off;
                    return 0;
                }
                if (count++) putc_(s, ',');
                put(s, p + av + 1, ae - av - 2);
            }
        }
        Py_ssize_t e = json_value_any(p, n, k);
        k = canon_ws(p, n, e);
        if (k < n && p[k] == ',') k = canon_ws(p, n, k + 1);
    }
    if (s->text_len > off) *ips = text_val(s, off); /* ",".join(found) or None */
    return 1;
}

/* _multus_msg.classify of a `Del: ns:pod:uid:conf:if <config>` line; 0: leave it to Python */
static int multus_del(scan_t *s, const char *m, Py_ssize_t n, val_t *cols) {
    if (!starts_with(m, n, "Del: ") || find(m, n, "ContainerID") || find(m, n, "StdinData:["))
        return 0;
    Py_ssize_t k = 5, part[5][2];
    for (int j = 0; j < 5; j++) {
        Py_ssize_t a = k;
        while (k < n && m[k] != ':' && m[k] != ' ') k++;
        part[j][0] = a;
        part[j][1] = k - a;
        if (j < 4) {
            if (k >= n || m[k] != ':') return 0;
            k++;
        }
    }
    if (!part[4][1]) return 0;
    if (k < n && m[k] == ' ') k++;
    Py_ssize_t mark = s->text_len;
    put_lit(s, "{\"conf\": \"");
    put_json(s, m + part[3][0], part[3][1]);
    put_lit(s, "\", \"config\": ");
    span_t res = {m + k, n - k};
    while (res.n && res.p[0] == ' ') res.p++, res.n--;
    while (res.n && res.p[res.n - 1] == ' ') res.n--;
    if (!res.n) {
        put_lit(s, "null");
    } else if (!canon_object(s, res.p, res.n)) {
        s->text_len = mark;
        return 0;
    }
    putc_(s, '}');
    cols[M_FIELDS] = text_val(s, mark);
    cols[M_NAMESPACE] = file_val(m + part[0][0], part[0][1]);
    cols[M_POD] = file_val(m + part[1][0], part[1][1]);
    if (!(part[2][1] == 10 && !memcmp(m + part[2][0], "unknownUID", 10)))
        cols[M_POD_UID] = file_val(m + part[2][0], part[2][1]);
    cols[M_NETWORK] = file_val(m + part[3][0], part[3][1]);
    cols[M_INTERFACE] = file_val(m + part[4][0], part[4][1]);
    return 1;
}

/* `<key>"?([^<stop>]+)`: leftmost occurrence with a non-empty value (the _ARG_RES patterns) */
static int arg_value(const char *t, Py_ssize_t n, const char *key, int quote, int semi,
                     span_t *out) {
    Py_ssize_t l = (Py_ssize_t)strlen(key);
    const char *p = t, *end = t + n;
    while (p < end) {
        const char *q = search(p, end - p, key, l);
        if (!q) return 0;
        Py_ssize_t k = (q - t) + l;
        if (quote && k < n && t[k] == '"') k++;
        Py_ssize_t a = k;
        while (k < n && t[k] != '"' && t[k] != ' ' && t[k] != '}' && !(semi && t[k] == ';')) k++;
        if (k > a) {
            *out = (span_t){t + a, k - a};
            return 1;
        }
        p = q + 1;
    }
    return 0;
}

/* _multus_msg.classify of a thick daemon `<CMD> starting|finished CNI request <args>` line;
 * 0: leave it to Python */
static int multus_request(scan_t *s, const char *m, Py_ssize_t n, val_t *cols) {
    static const char *cmds[5] = {"ADD ", "DEL ", "CHECK ", "GC ", "STATUS "};
    Py_ssize_t k = -1;
    span_t cmd = {0};
    for (int c = 0; c < 5; c++)
        if (starts_with(m, n, cmds[c])) {
            cmd = (span_t){m, (Py_ssize_t)strlen(cmds[c]) - 1};
            k = cmd.n + 1;
        }
    if (k < 0) return 0;
    span_t phase;
    if (eq_at(m, n, k, "starting CNI request ")) phase = (span_t){m + k, 8};
    else if (eq_at(m, n, k, "finished CNI request ")) phase = (span_t){m + k, 8};
    else return 0;
    const char *args = m + k + 21;
    Py_ssize_t an = n - k - 21;
    if (find(m, n, "StdinData:[")) return 0;
    span_t v[7];
    static const char *keys[7] = {"ContainerID:", "Netns:", "IfName:", "K8S_POD_NAMESPACE=",
                                  "K8S_POD_NAME=", "K8S_POD_INFRA_CONTAINER_ID=", "K8S_POD_UID="};
    int has[7];
    for (int j = 0; j < 7; j++) has[j] = arg_value(args, an, keys[j], j < 3, j >= 3, &v[j]);
    if (!has[0] && !has[5] && find(m, n, "ContainerID")) return 0; /* _CONTAINER_ID_RE */
    /* , result: "<go string>", err: <rest>  (leftmost such match) */
    span_t result = {0}, err = {0};
    int finished = 0;
    const char *p = args, *end = args + an;
    while (p < end) {
        const char *q = search(p, end - p, ", result: \"", 11);
        if (!q) break;
        Py_ssize_t body = (q - args) + 11;
        Py_ssize_t close = close_quote(args + body, an - body);
        if (close >= 0 && eq_at(args, an, body + close + 1, ", err: ")) {
            result = (span_t){args + body, close};
            Py_ssize_t e = body + close + 8;
            err = (span_t){args + e, an - e};
            finished = 1;
            break;
        }
        p = q + 1;
    }
    Py_ssize_t mark = s->text_len;
    val_t ips = {0};
    Py_ssize_t fields = s->text_len;
    put_lit(s, "{\"command\": \"");
    put(s, cmd.p, cmd.n);
    putc_(s, '"');
    if (has[1]) {
        put_lit(s, ", \"netns\": \"");
        put_json(s, v[1].p, v[1].n);
        putc_(s, '"');
    }
    put_lit(s, ", \"phase\": \"");
    put(s, phase.p, phase.n);
    putc_(s, '"');
    if (finished) {
        put_lit(s, ", \"result\": ");
        /* go_unquote, then _json_or_text: empty -> null, an object -> canonical, else Python */
        Py_ssize_t raw_n = unquote_to(s->scratch, result.p, result.n);
        if (raw_n < 0) goto unsure;
        const char *raw = s->scratch;
        Py_ssize_t a = 0, b = raw_n;
        while (a < b && raw[a] == ' ') a++;
        while (b > a && raw[b - 1] == ' ') b--;
        for (Py_ssize_t j = a; j < b; j++)
            if ((unsigned char)raw[j] < 0x20 && raw[j] != '\n' && raw[j] != '\t' && raw[j] != '\r')
                goto unsure;
        if (a == b) {
            put_lit(s, "null");
        } else if (raw[a] != '{' || !canon_object(s, raw + a, b - a)) {
            goto unsure;
        }
        putc_(s, '}');
        cols[M_FIELDS] = text_val(s, fields);
        if (a < b && !result_ips(s, raw + a, b - a, &ips)) goto unsure;
    } else {
        putc_(s, '}');
        cols[M_FIELDS] = text_val(s, fields);
    }
    cols[M_KIND] = (val_t){0};
    if (has[3]) cols[M_NAMESPACE] = file_val(v[3].p, v[3].n);
    if (has[4]) cols[M_POD] = file_val(v[4].p, v[4].n);
    if (has[6]) cols[M_POD_UID] = file_val(v[6].p, v[6].n);
    if (has[5]) cols[M_SANDBOX] = file_val(v[5].p, v[5].n);
    else if (has[0]) cols[M_SANDBOX] = file_val(v[0].p, v[0].n);
    if (has[2]) cols[M_INTERFACE] = file_val(v[2].p, v[2].n);
    if (ips.set) cols[M_IPS] = ips;
    if (finished) {
        while (err.n && err.p[0] == ' ') err.p++, err.n--;
        while (err.n && err.p[err.n - 1] == ' ') err.n--;
        if (!(err.n == 5 && !memcmp(err.p, "<nil>", 5))) cols[M_ERROR] = file_val(err.p, err.n);
    }
    return 1;
unsure:
    s->text_len = mark;
    return 0;
}

typedef struct {
    /* offsets of the names in the text buffer */
    Py_ssize_t kind_log, kind_add, kind_del, kind_request, levels[5];
} multus_names_t;

static const char *MULTUS_LEVELS[5] = {"fatal", "error", "info", "debug", "warning"};

/* Parse line i into output row s->m; 0 when the careful path must take it. */
static int multus_line(scan_t *s, Py_ssize_t i, const multus_names_t *names) {
    const char *p = s->data + s->starts[i];
    Py_ssize_t n = s->lens[i], ts_len;
    int lvl;
    Py_ssize_t head = multus_header(p, n, &ts_len, &lvl);
    if (!head || !printable(p, n)) return 0;
    /* a record of one line: the next line must surely be a header too (a Multus header, or
     * a klog header, which starts a record of its own that the careful path reads) */
    if (i + 1 < s->nlines) {
        Py_ssize_t t2;
        int l2;
        const char *q = s->data + s->starts[i + 1];
        if (!multus_header(q, s->lens[i + 1], &t2, &l2) && !klog_head(q, s->lens[i + 1]))
            return 0;
    }
    int64_t micros;
    if (!stamp(s, s->starts[i], ts_len, &micros)) return 0;
    const char *m = p + head;
    Py_ssize_t mn = n - head;
    Py_ssize_t mark = s->text_len;
    val_t cols[M_NCOLS];
    memset(cols, 0, sizeof cols);
    int is_add;
    if (!multus_add(s, m, mn, cols, &is_add)) {
        s->text_len = mark;
        return 0;
    }
    int level = lvl == L_PANIC ? 0 : lvl == L_ERROR ? 1 : lvl == L_VERBOSE ? 2 : 3;
    if (lvl == L_ERROR && starts_with(m, mn, "warning: ")) level = 4;
    Py_ssize_t row = s->m;
    cols[M_RAW] = file_val(p, n);
    cols[M_MESSAGE] = file_val(m, mn);
    cols[M_LEVEL] = (val_t){s->text + names->levels[level],
                            (Py_ssize_t)strlen(MULTUS_LEVELS[level]), 1, names->levels[level], 1};
    int final = 0; /* the classifier's result is computed here: no trigger */
    if (is_add) {
        cols[M_KIND] = (val_t){s->text + names->kind_add, 10, 1, names->kind_add, 1};
    } else if (multus_del(s, m, mn, cols)) {
        cols[M_KIND] = (val_t){s->text + names->kind_del, 10, 1, names->kind_del, 1};
        final = 1;
    } else if (multus_request(s, m, mn, cols)) {
        cols[M_KIND] = (val_t){s->text + names->kind_request, 14, 1, names->kind_request, 1};
        final = 1;
    } else {
        cols[M_KIND] = (val_t){s->text + names->kind_log, 3, 1, names->kind_log, 1};
        cols[M_FIELDS] = (val_t){s->text + names->kind_log + 3, 2, 1, names->kind_log + 3, 1};
    }
    for (int c = 0; c < M_NCOLS; c++) put_view(s, c, row, cols[c]);
    s->time[row] = micros;
    s->trig[row] = (uint8_t)(!final && ((!is_add && multus_trigger(m, mn)) || level == 0 ||
                                        level == 1 || level == 4));
    s->m++;
    return 1;
}

/* ---- logrus text (formats/containerd.py, formats/_logrus_vec.py) --------------------------- */

enum { G_RAW, G_MESSAGE, G_ERROR, G_LEVEL, G_KIND, G_NAMESPACE, G_POD, G_POD_UID, G_SANDBOX,
       G_FIELDS, G_REST, G_NCOLS };

static const char *LOGRUS_IN[8] = {"trace", "debug", "info", "warning", "warn", "error", "fatal",
                                   "panic"};
static const int LOGRUS_OUT[8] = {0, 0, 1, 2, 2, 3, 4, 4}; /* into GLEVELS; other: info */
static const char *GLEVELS[5] = {"debug", "info", "warning", "error", "fatal"};
enum { K_LOG, K_FAILED, K_READY, K_START, K_STOP_FAILED, K_STOP, K_TEARDOWN, K_DESTROY, K_N };
static const char *GKINDS[K_N] = {
    "log", "runtime:sandbox:failed", "runtime:sandbox:ready", "runtime:sandbox:start",
    "runtime:sandbox:stop-failed", "runtime:sandbox:stop", "runtime:network:teardown",
    "runtime:network:destroy-failed"};

typedef struct {
    Py_ssize_t levels[5], kinds[K_N], empty, request, returned;
} logrus_names_t;

static val_t name_val(scan_t *s, Py_ssize_t off, const char *name) {
    return (val_t){s->text + off, (Py_ssize_t)strlen(name), 1, off, 1};
}

/* `^time="([^"]*)" level=([a-z]+) msg=`: 1 with the stamp, level and message start */
static int logrus_header(const char *p, Py_ssize_t n, span_t *ts, span_t *lvl, Py_ssize_t *msg) {
    if (!starts_with(p, n, "time=\"")) return 0;
    const char *q = memchr(p + 6, '"', (size_t)(n - 6));
    if (!q) return 0;
    Py_ssize_t k = q - p;
    *ts = (span_t){p + 6, k - 6};
    if (!eq_at(p, n, k, "\" level=")) return 0;
    k += 8;
    Py_ssize_t l0 = k;
    while (k < n && p[k] >= 'a' && p[k] <= 'z') k++;
    if (k == l0 || !eq_at(p, n, k, " msg=")) return 0;
    *lvl = (span_t){p + l0, k - l0};
    *msg = k + 5;
    return 1;
}

/* Length of the logrus value at t: a closed Go-quoted string, else `\S*` (spaces only here) */
static Py_ssize_t value_end(const char *t, Py_ssize_t n) {
    if (n && t[0] == '"') {
        Py_ssize_t q = close_quote(t + 1, n - 1);
        if (q >= 0) return q + 2;
    }
    const char *sp = memchr(t, ' ', (size_t)n);
    return sp ? sp - t : n;
}

/* _logrus.RUNTIME_TRIGGER: PodSandbox|pod sandbox|[Ss]andbox|CNI|[Cc]ni|pod network|k8s_ */
static int after_one_of(const char *m, Py_ssize_t n, const char *lit, const char *before) {
    Py_ssize_t l = (Py_ssize_t)strlen(lit);
    const char *p = m + 1, *end = m + n;
    while (p < end) {
        const char *q = search(p, end - p, lit, l);
        if (!q) return 0;
        if (q[-1] && strchr(before, q[-1])) return 1;
        p = q + 1;
    }
    return 0;
}

static int runtime_trigger(const char *m, Py_ssize_t n) {
    return after_one_of(m, n, "andbox", "Ss") || after_one_of(m, n, "NI", "C") ||
           after_one_of(m, n, "ni", "Cc") || after_one_of(m, n, "od network", "p") ||
           after_one_of(m, n, "8s_", "k");
}

static int hex64_at(const char *t, Py_ssize_t n, Py_ssize_t at) {
    if (at < 0 || at + 64 > n) return 0;
    for (int k = 0; k < 64; k++)
        if (!is_lowhex(t[at + k])) return 0;
    return 1;
}

/* _logrus.SANDBOX_REF's leftmost match: position of its id, or -1 */
static Py_ssize_t sandbox_ref(const char *t, Py_ssize_t n) {
    static const char *alts[3] = {"network for sandbox", "sandbox id", "sandbox container"};
    Py_ssize_t best = -1, best_at = PY_SSIZE_T_MAX;
    for (int a = 0; a < 3; a++) {
        const char *p = t, *end = t + n;
        Py_ssize_t l = (Py_ssize_t)strlen(alts[a]);
        while (p < end) {
            const char *q = search(p, end - p, alts[a], l);
            if (!q || q - t >= best_at) break;
            Py_ssize_t k = (q - t) + l;
            if (k < n && t[k] == ' ') {
                k++;
                if (k < n && t[k] == '\\') k++;
                if (k < n && t[k] == '"' && hex64_at(t, n, k + 1)) {
                    best = k + 1;
                    best_at = q - t;
                    break;
                }
            }
            p = q + 1;
        }
    }
    return best;
}

/* _logrus.META's leftmost match in t: 1 with its groups */
static int sandbox_meta(const char *t, Py_ssize_t n, span_t *pod, span_t *uid, span_t *ns,
                        span_t *attempt) {
    const char *p = t, *end = t + n;
    static const char *lead = "&PodSandboxMetadata{Name:";
    while (p < end) {
        const char *q = search(p, end - p, lead, 25);
        if (!q) return 0;
        Py_ssize_t k = (q - t) + 25;
        span_t parts[3];
        static const char *seps[3] = {",Uid:", ",Namespace:", ",Attempt:"};
        int ok = 1;
        for (int j = 0; j < 3 && ok; j++) {
            Py_ssize_t a = k;
            while (k < n && t[k] != ',') k++;
            parts[j] = (span_t){t + a, k - a};
            if (!eq_at(t, n, k, seps[j])) ok = 0;
            else k += (Py_ssize_t)strlen(seps[j]);
        }
        if (ok) {
            Py_ssize_t a = k;
            while (k < n && is_digit(t[k])) k++;
            if (k > a) {
                Py_ssize_t e = k;
                if (k < n && t[k] == ',') k++;
                if (k < n && t[k] == '}') {
                    *pod = parts[0];
                    *uid = parts[1];
                    *ns = parts[2];
                    *attempt = (span_t){t + a, e - a};
                    return 1;
                }
            }
        }
        p = q + 1;
    }
    return 0;
}

/* BARE_KVS: `k=v( k=v)*` with keys [\w.\-/]+ and values [\w.\-/@^+]* */
static int bare_kvs(const char *r, Py_ssize_t n) {
    Py_ssize_t k = 0;
    for (;;) {
        Py_ssize_t a = k;
        while (k < n && is_key(r[k])) k++;
        if (k == a || k >= n || r[k] != '=') return 0;
        k++;
        while (k < n && (is_key(r[k]) || r[k] == '@' || r[k] == '^' || r[k] == '+')) k++;
        if (k == n) return 1;
        if (r[k] != ' ') return 0;
        k++;
    }
}

typedef struct {
    span_t key;
    val_t val;
} kv_t;

/* _logrus.parse_kv as sorted JSON (json.dumps(sort_keys=True)); 0: careful path */
static int parse_kv_json(scan_t *s, const char *r, Py_ssize_t n, Py_ssize_t *json_at) {
    kv_t kv[MAX_PAIRS];
    int np = 0;
    Py_ssize_t pos = 0;
    while (pos < n) {
        if (pos > 0 && r[pos - 1] != ' ') {
            pos++;
            continue;
        }
        Py_ssize_t k = pos;
        while (k < n && is_key(r[k])) k++;
        if (k == pos || k >= n || r[k] != '=') {
            pos++;
            continue;
        }
        Py_ssize_t v = k + 1, e;
        val_t val;
        if (v < n && r[v] == '"' && (e = close_quote(r + v + 1, n - v - 1)) >= 0) {
            e = v + e + 2;
            if (!go_value(s, r + v, e - v, &val)) return 0;
        } else {
            const char *sp = memchr(r + v, ' ', (size_t)(n - v));
            e = sp ? sp - r : n;
            if (e > v && r[v] == '"') return 0; /* an unclosed quote: rare, careful path */
            val = file_val(r + v, e - v);
        }
        span_t key = {r + pos, k - pos};
        int seen = 0;
        for (int j = 0; j < np && !seen; j++)
            seen = kv[j].key.n == key.n && !memcmp(kv[j].key.p, key.p, (size_t)key.n);
        if (!seen) {
            if (np >= MAX_PAIRS) return 0;
            kv[np++] = (kv_t){key, val};
        }
        pos = e > pos ? e : pos + 1;
    }
    for (int a = 1; a < np; a++) { /* insertion sort by key bytes (Python's str order) */
        kv_t x = kv[a];
        int b = a - 1;
        for (; b >= 0; b--) {
            Py_ssize_t l = kv[b].key.n < x.key.n ? kv[b].key.n : x.key.n;
            int c = memcmp(kv[b].key.p, x.key.p, (size_t)l);
            if (c < 0 || (c == 0 && kv[b].key.n <= x.key.n)) break;
            kv[b + 1] = kv[b];
        }
        kv[b + 1] = x;
    }
    *json_at = s->text_len; /* after the unquoted values */
    putc_(s, '{');
    for (int a = 0; a < np; a++) {
        if (a) put(s, ", ", 2);
        putc_(s, '"');
        put_json(s, kv[a].key.p, kv[a].key.n);
        put(s, "\": \"", 4);
        put_json(s, kv[a].val.p, kv[a].val.n);
        putc_(s, '"');
    }
    putc_(s, '}');
    return 1;
}

/* Whether _logrus.classify_runtime(msg, None) may name anything beyond a sandbox id of
 * SANDBOX_REF: a necessary literal of each of its patterns */
static int runtime_named(const char *m, Py_ssize_t n) {
    static const char *starts[] = {
        "RunPodSandbox", "StopPodSandbox for \"", "TearDown network for sandbox",
        "Failed to destroy network for sandbox", "failed to destroy network for pod sandbox",
        "Adding pod ", "Deleting pod ", "Checking pod ", "Got pod network &{",
        "Running pod sandbox: ", "Ran pod sandbox ", "Stopping pod sandbox: ",
        "Stopped pod sandbox: ", "Found CNI network ", "Updated default CNI network name to ",
        "CNI monitoring event ", "Error loading CNI config ", "Error validating CNI config ",
        "failed to load cni ", "cni config load failed", NULL};
    for (int k = 0; starts[k]; k++)
        if (starts_with(m, n, starts[k])) return 1;
    return find(m, n, "&PodSandboxMetadata{") || find(m, n, "k8s_");
}

/* Parse line i into output row s->m; 0 when the careful path must take it. */
static int logrus_line(scan_t *s, Py_ssize_t i, const logrus_names_t *names) {
    const char *p = s->data + s->starts[i];
    Py_ssize_t n = s->lens[i], at;
    span_t ts, lvl;
    if (!logrus_header(p, n, &ts, &lvl, &at)) return 0;
    int64_t micros;
    if (!stamp(s, s->starts[i] + 6, ts.n, &micros)) {
        s->odd = 1; /* the careful path then reads the chunk's stamps as one column */
        return 0;
    }
    if (!printable(p, n)) return 0;
    Py_ssize_t mark = s->text_len;
    /* msg: a closed quoted value, else a bare word */
    span_t msg, rest;
    Py_ssize_t mlen = value_end(p + at, n - at);
    msg = (span_t){p + at, mlen};
    rest = (span_t){p + at + mlen, n - at - mlen};
    /* the first " error=<value>" of the rest moves to err_raw */
    span_t err = {0}, before = rest, after = {0};
    int has_err = 0;
    const char *e = find(rest.p, rest.n, " error=");
    if (e) {
        before = (span_t){rest.p, e - rest.p};
        const char *v = e + 7;
        Py_ssize_t vn = rest.p + rest.n - v;
        Py_ssize_t el = value_end(v, vn);
        if (el > 0) {
            err = (span_t){v, el};
            has_err = 1;
        }
        after = (span_t){v + el, vn - el};
    }
    /* rest = (before + after).strip() */
    while (before.n && before.p[0] == ' ') before.p++, before.n--;
    if (!before.n)
        while (after.n && after.p[0] == ' ') after.p++, after.n--;
    while (after.n && after.p[after.n - 1] == ' ') after.n--;
    if (!after.n)
        while (before.n && before.p[before.n - 1] == ' ') before.n--;
    val_t restv;
    if (!after.n) {
        restv = file_val(before.p, before.n);
    } else if (!before.n) {
        restv = file_val(after.p, after.n);
    } else {
        Py_ssize_t off = s->text_len;
        put(s, before.p, before.n);
        put(s, after.p, after.n);
        restv = text_val(s, off);
    }
    val_t message, error = {0};
    if (!go_value(s, msg.p, msg.n, &message)) goto slow;
    if (has_err) {
        if (!go_value(s, err.p, err.n, &error)) goto slow;
        if (!error.n) error = (val_t){0}; /* an empty error= names no error */
    }
    int level = 1;
    for (int l = 0; l < 8; l++)
        if (lvl.n == (Py_ssize_t)strlen(LOGRUS_IN[l]) && !memcmp(lvl.p, LOGRUS_IN[l], (size_t)lvl.n)) {
            level = LOGRUS_OUT[l];
            break;
        }
    const char *mp = message.p;
    Py_ssize_t mn = message.n;
    int vec = !has_err && restv.n == 0 &&
              (starts_with(mp, mn, "RunPodSandbox for &PodSandboxMetadata{") ||
               starts_with(mp, mn, "StopPodSandbox for \"") ||
               starts_with(mp, mn, "TearDown network for sandbox \"") ||
               starts_with(mp, mn, "Failed to destroy network for sandbox \""));
    int trig = !vec && (has_err || runtime_trigger(msg.p, msg.n));
    /* a triggered row without error whose message names nothing: the classifier's result is
     * at most the sandbox id; fields are then parse_kv(rest) sorted, as apply_found writes */
    int named_nothing = trig && !error.set && !runtime_named(message.p, message.n);
    val_t cols[G_NCOLS];
    memset(cols, 0, sizeof cols);
    int kind = K_LOG;
    Py_ssize_t fields_off = -1;
    if (vec) {
        if (starts_with(mp, mn, "RunPodSandbox")) {
            span_t pod, uid, ns, attempt;
            if (sandbox_meta(mp, mn, &pod, &uid, &ns, &attempt)) {
                /* views into the message, wherever it lives */
                cols[G_POD] = (val_t){pod.p, pod.n, message.in_text,
                                      message.off + (pod.p - mp), 1};
                cols[G_POD_UID] = (val_t){uid.p, uid.n, message.in_text,
                                          message.off + (uid.p - mp), 1};
                cols[G_NAMESPACE] = (val_t){ns.p, ns.n, message.in_text,
                                            message.off + (ns.p - mp), 1};
                /* {"attempt": int(digits)} */
                Py_ssize_t a = 0;
                while (a + 1 < attempt.n && attempt.p[a] == '0') a++;
                fields_off = s->text_len;
                put_lit(s, "{\"attempt\": ");
                put(s, attempt.p + a, attempt.n - a);
                putc_(s, '}');
            }
            const char *f = find(mp, mn, "} failed, error");
            if (f) {
                kind = K_FAILED;
            } else {
                kind = K_START;
            }
            /* \} returns sandbox id "([0-9a-f]{64})": leftmost */
            const char *q = mp, *end = mp + mn;
            while (q < end) {
                const char *r = search(q, end - q, "} returns sandbox id \"", 22);
                if (!r) break;
                Py_ssize_t id = (r - mp) + 22;
                if (hex64_at(mp, mn, id)) {
                    cols[G_SANDBOX] = (val_t){mp + id, 64, message.in_text, message.off + id, 1};
                    if (!f) kind = K_READY;
                    break;
                }
                q = r + 1;
            }
        } else if (starts_with(mp, mn, "StopPodSandbox")) {
            /* ^StopPodSandbox for "([0-9a-f]+)"( failed| returns successfully)? */
            Py_ssize_t k = 20, a = 20;
            while (k < mn && is_lowhex(mp[k])) k++;
            int suffix = 0; /* 0 none, 1 failed, 2 returns */
            if (k > a && k < mn && mp[k] == '"') {
                cols[G_SANDBOX] = (val_t){mp + a, k - a, message.in_text, message.off + a, 1};
                if (eq_at(mp, mn, k + 1, " failed")) suffix = 1;
                else if (eq_at(mp, mn, k + 1, " returns successfully")) suffix = 2;
            }
            kind = suffix == 1 ? K_STOP_FAILED : K_STOP;
            cols[G_FIELDS] = suffix ? name_val(s, names->returned, "{\"phase\": \"returned\"}")
                                    : name_val(s, names->request, "{\"phase\": \"request\"}");
        } else {
            kind = starts_with(mp, mn, "TearDown") ? K_TEARDOWN : K_DESTROY;
            Py_ssize_t id = sandbox_ref(mp, mn);
            if (id >= 0) cols[G_SANDBOX] = (val_t){mp + id, 64, message.in_text, message.off + id, 1};
        }
    } else if (named_nothing) {
        Py_ssize_t id = sandbox_ref(mp, mn), before = s->text_len;
        if (id >= 0) cols[G_SANDBOX] = (val_t){mp + id, 64, message.in_text, message.off + id, 1};
        if (restv.n) {
            if (parse_kv_json(s, restv.p, restv.n, &fields_off)) {
                trig = 0;
            } else {
                s->text_len = before;
                cols[G_SANDBOX] = (val_t){0};
            }
        } else {
            trig = 0;
        }
    } else if (!trig && restv.n) {
        fields_off = s->text_len;
        if (bare_kvs(restv.p, restv.n)) {
            /* {"k": "v", ...} in file order */
            const char *r = restv.p;
            Py_ssize_t rn = restv.n, k = 0;
            putc_(s, '{');
            while (k < rn) {
                Py_ssize_t eq = k;
                while (r[eq] != '=') eq++;
                Py_ssize_t ve = eq + 1;
                while (ve < rn && r[ve] != ' ') ve++;
                if (k) put(s, ", ", 2);
                putc_(s, '"');
                put(s, r + k, eq - k);
                put(s, "\": \"", 4);
                put(s, r + eq + 1, ve - eq - 1);
                putc_(s, '"');
                k = ve + 1;
            }
            putc_(s, '}');
        } else if (!parse_kv_json(s, restv.p, restv.n, &fields_off)) {
            goto slow;
        }
    }
    if (fields_off >= 0) {
        Py_ssize_t fields_n = s->text_len - fields_off;
        fields_off = dedupe_fields(s, fields_off);
        cols[G_FIELDS] = (val_t){s->text + fields_off, fields_n, 1, fields_off, 1};
    } else if (!cols[G_FIELDS].set) {
        cols[G_FIELDS] = name_val(s, names->empty, "{}");
    }
    Py_ssize_t row = s->m;
    cols[G_RAW] = file_val(p, n);
    cols[G_MESSAGE] = message;
    cols[G_ERROR] = error;
    cols[G_LEVEL] = name_val(s, names->levels[level], GLEVELS[level]);
    cols[G_KIND] = name_val(s, names->kinds[kind], GKINDS[kind]);
    if (trig && restv.n) cols[G_REST] = restv; /* the caller's parse_kv for classified rows */
    for (int c = 0; c < G_NCOLS; c++) put_view(s, c, row, cols[c]);
    s->time[row] = micros;
    s->trig[row] = (uint8_t)trig;
    s->m++;
    return 1;
slow:
    s->text_len = mark;
    return 0;
}

/* ---- the Python entry points ------------------------------------------------------------------ */

enum { FMT_MULTUS, FMT_LOGRUS };

static PyObject *run(PyObject *args, int fmt) {
    PyObject *data_o, *starts_o, *lens_o;
    Py_ssize_t lo, hi;
    if (!PyArg_ParseTuple(args, "OOOnn", &data_o, &starts_o, &lens_o, &lo, &hi)) return NULL;
    scan_t s;
    memset(&s, 0, sizeof s);
    Py_buffer dbuf, sbuf, lbuf;
    if (PyObject_GetBuffer(data_o, &dbuf, PyBUF_SIMPLE) < 0) return NULL;
    Py_ssize_t nlines = 0;
    {
        Py_buffer tmp;
        if (PyObject_GetBuffer(starts_o, &tmp, PyBUF_SIMPLE) < 0) {
            PyBuffer_Release(&dbuf);
            return NULL;
        }
        nlines = tmp.len / 8;
        PyBuffer_Release(&tmp);
    }
    int got = 0;
    if (int64_buffer(starts_o, &sbuf, nlines, "starts")) {
        got = 1;
        if (int64_buffer(lens_o, &lbuf, nlines, "lens")) got = 2;
    }
    PyObject *result = NULL, *slow_o = NULL, *time_o = NULL, *trig_o = NULL, *views_o = NULL,
             *valid_o = NULL, *text_o = NULL;
    if (got < 2) goto done;
    if (lo < 0 || hi > nlines || lo > hi) {
        PyErr_SetString(PyExc_ValueError, "scan: bad line range");
        goto done;
    }
    s.data = dbuf.buf;
    s.size = dbuf.len;
    s.starts = sbuf.buf;
    s.lens = lbuf.buf;
    s.nlines = nlines;
    s.base = lo < hi ? (Py_ssize_t)s.starts[lo] : 0;
    s.ncols = fmt == FMT_MULTUS ? M_NCOLS : G_NCOLS;
    Py_ssize_t n = hi - lo, chunk_bytes = 0, maxlen = 0;
    for (Py_ssize_t i = lo; i < hi + 1 && i < nlines; i++) {
        if (s.starts[i] < 0 || s.lens[i] < 0 || s.starts[i] + s.lens[i] > dbuf.len) {
            PyErr_SetString(PyExc_ValueError, "scan: line bounds outside data");
            goto done;
        }
        if (i < hi) chunk_bytes += s.lens[i] + 1;
        if (i < hi && s.lens[i] > maxlen) maxlen = s.lens[i];
    }
    if (lo < hi && s.starts[hi - 1] + s.lens[hi - 1] - s.base >= ((Py_ssize_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "scan: a chunk spans 2 GiB or more");
        goto done;
    }
    slow_o = PyBytes_FromStringAndSize(NULL, n);
    time_o = PyBytes_FromStringAndSize(NULL, n * 8);
    trig_o = PyBytes_FromStringAndSize(NULL, n);
    views_o = PyTuple_New(s.ncols);
    valid_o = PyTuple_New(s.ncols);
    /* new text per row: multus at most ~5 bytes per line byte (conf and result escaped,
     * addresses joined), logrus ~10 (unquoted message, error and rest, then the fields JSON
     * with \u00XX escapes) */
    Py_ssize_t cap = (fmt == FMT_MULTUS ? 6 : 12) * chunk_bytes + 128 * n + 1024;
    text_o = PyBytes_FromStringAndSize(NULL, cap);
    if (!slow_o || !time_o || !trig_o || !views_o || !valid_o || !text_o) goto done;
    for (int c = 0; c < s.ncols; c++) {
        /* bytearrays: the caller may overlay classifier results before polars adopts them */
        PyObject *v = PyByteArray_FromStringAndSize(NULL, n * 16);
        if (!v) goto done;
        PyTuple_SET_ITEM(views_o, c, v);
        s.views[c] = (uint8_t *)PyByteArray_AS_STRING(v);
        int nullable = fmt == FMT_MULTUS ? (c >= M_NAMESPACE && c <= M_SANDBOX)
                                         : (c == G_ERROR || (c >= G_NAMESPACE && c <= G_SANDBOX) ||
                                            c == G_REST);
        PyObject *b = Py_None;
        if (nullable) {
            b = PyByteArray_FromStringAndSize(NULL, (n + 7) / 8);
            if (!b) goto done;
            memset(PyByteArray_AS_STRING(b), 0, (size_t)((n + 7) / 8));
            s.valid[c] = (uint8_t *)PyByteArray_AS_STRING(b);
        } else {
            Py_INCREF(b);
        }
        PyTuple_SET_ITEM(valid_o, c, b);
    }
    s.time = (int64_t *)PyBytes_AS_STRING(time_o);
    s.trig = (uint8_t *)PyBytes_AS_STRING(trig_o);
    s.slow = (uint8_t *)PyBytes_AS_STRING(slow_o);
    s.text = PyBytes_AS_STRING(text_o);
    s.text_cap = cap;
    s.scratch = malloc((size_t)maxlen + 1);
    if (!s.scratch) {
        PyErr_NoMemory();
        goto done;
    }
    /* names once, at the start of the text buffer */
    multus_names_t mnames;
    logrus_names_t gnames;
    memset(&mnames, 0, sizeof mnames);
    memset(&gnames, 0, sizeof gnames);
    if (fmt == FMT_MULTUS) {
        mnames.kind_log = s.text_len;
        put_lit(&s, "log{}");
        mnames.kind_add = s.text_len;
        put_lit(&s, "multus:add");
        mnames.kind_del = s.text_len;
        put_lit(&s, "multus:del");
        mnames.kind_request = s.text_len;
        put_lit(&s, "multus:request");
        for (int k = 0; k < 5; k++) {
            mnames.levels[k] = s.text_len;
            put_lit(&s, MULTUS_LEVELS[k]);
        }
    } else {
        for (int k = 0; k < 5; k++) {
            gnames.levels[k] = s.text_len;
            put_lit(&s, GLEVELS[k]);
        }
        for (int k = 0; k < K_N; k++) {
            gnames.kinds[k] = s.text_len;
            put_lit(&s, GKINDS[k]);
        }
        gnames.empty = s.text_len;
        put_lit(&s, "{}");
        gnames.request = s.text_len;
        put_lit(&s, "{\"phase\": \"request\"}");
        gnames.returned = s.text_len;
        put_lit(&s, "{\"phase\": \"returned\"}");
    }
    Py_BEGIN_ALLOW_THREADS
#ifdef __GLIBC__
    /* the previous chunks' output buffers were freed once polars copied their views: hand
     * those pages back, or glibc keeps them as heap holes that add up to the file's size */
    malloc_trim(0);
#endif
    for (Py_ssize_t i = lo; i < hi; i++) {
        /* the per-row bound above: checked before each row, never exceeded silently */
        if (s.text_len + (fmt == FMT_MULTUS ? 6 : 12) * (s.lens[i] + 1) + 128 > s.text_cap) {
            s.oom = 1;
            break;
        }
        int ok = fmt == FMT_MULTUS ? multus_line(&s, i, &mnames) : logrus_line(&s, i, &gnames);
        s.slow[i - lo] = (uint8_t)!ok;
    }
    Py_END_ALLOW_THREADS
    if (s.oom) {
        PyErr_SetString(PyExc_RuntimeError, "scan: new text exceeded its bound");
        goto done;
    }
    if (s.text_len >= ((Py_ssize_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "scan: new text of a chunk exceeds 2 GiB");
        goto done;
    }
    if (_PyBytes_Resize(&text_o, s.text_len) < 0) goto done;
    for (int c = 0; c < s.ncols; c++) {
        if (PyByteArray_Resize(PyTuple_GET_ITEM(views_o, c), s.m * 16) < 0) goto done;
    }
    if (_PyBytes_Resize(&time_o, s.m * 8) < 0 || _PyBytes_Resize(&trig_o, s.m) < 0) goto done;
    result = Py_BuildValue("(OnOOOOOO)", slow_o, s.m, time_o, trig_o, views_o, valid_o, text_o,
                           s.odd ? Py_True : Py_False);
done:
    free(s.scratch);
    Py_XDECREF(slow_o);
    Py_XDECREF(time_o);
    Py_XDECREF(trig_o);
    Py_XDECREF(views_o);
    Py_XDECREF(valid_o);
    Py_XDECREF(text_o);
    if (got >= 2) PyBuffer_Release(&lbuf);
    if (got >= 1) PyBuffer_Release(&sbuf);
    PyBuffer_Release(&dbuf);
    return result;
}

PyDoc_STRVAR(multus_doc,
"multus(data, starts, lens, lo, hi) -> (slow, m, time, trig, views, valid, text, odd)\n\n"
"Scan lines lo..hi of a Multus log (data: the file's bytes; starts/lens: int64 bounds of\n"
"every line of the file). slow[r] is 1 for lines the careful path must take; m rows were\n"
"emitted, with their UTC epoch microseconds in time and trig[r] = 1 where the message\n"
"classifier must run; views/valid are per column (raw, message, level, kind, namespace, pod,\n"
"pod_uid, network, interface, ips, fields) Arrow string views and validity bitmaps (None: no\n"
"nulls) over buffer 0 = data[starts[lo]:] and buffer 1 = text. odd is always False.");

static PyObject *multus(PyObject *self, PyObject *args) {
    (void)self;
    return run(args, FMT_MULTUS);
}

PyDoc_STRVAR(logrus_doc,
"logrus(data, starts, lens, lo, hi) -> (slow, m, time, trig, views, valid, text, odd)\n\n"
"As multus() for logrus text lines; the columns are raw, message, error, level, kind,\n"
"namespace, pod, pod_uid, sandbox_id, fields, rest (rest only on trig rows: the extra\n"
"fields the caller parses). odd: a logrus line of the range has a stamp the byte reader\n"
"does not take (the careful path must then read the whole range).");

static PyObject *logrus(PyObject *self, PyObject *args) {
    (void)self;
    return run(args, FMT_LOGRUS);
}

static PyMethodDef methods[] = {
    {"multus", multus, METH_VARARGS, multus_doc},
    {"logrus", logrus, METH_VARARGS, logrus_doc},
    {"string_views", string_views, METH_VARARGS, string_views_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "multus_forensics._rscan",
    "One-pass scanners for the Multus log and logrus text (see _rscan.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__rscan(void) { return PyModule_Create(&module); }
