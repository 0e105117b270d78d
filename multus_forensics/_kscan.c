/* One-pass scanner for journald-wrapped klog lines (the journald fast path).
 *
 * Why C: the rows of a large kubelet journal need a header check, a message split, Go
 * unquoting, key/value parsing, the `fields` JSON and the identity columns. As a chain of
 * column passes that costs ~25 passes per row; here it is one pass over each line's bytes.
 *
 * The output is Arrow string views (16 bytes a row) into two buffers: buffer 0 is the
 * chunk's slice of the file's bytes (raw line, host, message, identities: nothing copied),
 * buffer 1 is new text (the `fields` JSON, unescaped values, kind and level names).
 *
 * A row is emitted only when this scanner finishes it exactly as the careful Python path
 * (formats/_journalrec.py, formats/klog.py, formats/_klogkv.py) would; every other row is
 * marked slow and handed to that path. Being conservative is always correct; the tests
 * compare both paths row for row.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    C_RAW, C_HOST, C_MESSAGE, C_ERROR, C_FIELDS, C_NAMESPACE, C_POD, C_POD_UID,
    C_SANDBOX, C_CONTAINER, C_KIND, C_LEVEL, C_SOURCE, NCOLS
};

#define MAX_PAIRS 64
#define MAX_TABLE 64

typedef struct {
    const char *p;
    Py_ssize_t n;
} span_t;

/* A string value: in the file (buffer 0) or in the new text (buffer 1, at `off`). */
typedef struct {
    const char *p; /* where its bytes are now (file or text buffer) */
    Py_ssize_t n;
    int in_text;
    Py_ssize_t off;
    int set;
} val_t;

enum { V_QUOTED, V_TOKEN, V_JSON };

typedef struct {
    span_t key;
    int type;
    span_t raw;    /* quoted: between the quotes (escapes not undone); token/json: as is */
    int escaped;   /* quoted value holding a backslash */
} pair_t;

/* slots of the table of fields texts already written (dedupe_fields; a power of two): a chunk's
 * rows (journalvec.CHUNK_ROWS), so that its distinct texts seldom evict each other; a busy
 * journal has thousands a chunk (probe results, volume paths per pod), and 1,024 slots wrote
 * 1.8 times the distinct texts' bytes, a sixth of the chunk's new text */
#define SEEN_SLOTS 32768

typedef struct {
    /* inputs */
    const char *data;
    const int64_t *starts, *lens, *years;
    Py_ssize_t nlines;
    Py_ssize_t base; /* byte offset of buffer 0 in data */
    span_t kinds_msg[MAX_TABLE], kinds_name[MAX_TABLE];
    Py_ssize_t kinds_off[MAX_TABLE];
    int nkinds;
    Py_ssize_t log_off; /* "log" in the text buffer */
    span_t legacy[MAX_TABLE];
    int nlegacy;
    span_t levels[4]; /* I W E F */
    Py_ssize_t level_off[4];
    /* sources: identifiers named in the table get its klog / plain source, others their own */
    span_t src_ident[MAX_TABLE], src_klog[MAX_TABLE], src_plain[MAX_TABLE], src_logrus[MAX_TABLE];
    Py_ssize_t src_klog_off[MAX_TABLE], src_plain_off[MAX_TABLE], src_logrus_off[MAX_TABLE];
    /* logrus level names -> event levels (others: info) */
    span_t lr_name[MAX_TABLE], lr_level[MAX_TABLE];
    Py_ssize_t lr_off[MAX_TABLE];
    int nlr;
    int nsrc;
    /* plain payloads starting with one of these may be another payload parser's shape */
    span_t careful[MAX_TABLE];
    int ncareful;
    Py_ssize_t empty_off; /* "{}" in the text buffer */
    Py_ssize_t start_off; /* "runtime:sandbox:start" in the text buffer */
    /* outputs */
    uint8_t *views[NCOLS];
    uint8_t *valid[NCOLS];
    int64_t *time;
    uint8_t *aware; /* per emitted row: time is already UTC (a logrus stamp with its zone) */
    uint8_t *slow;
    char *text;
    Py_ssize_t text_len, text_cap;
    char *scratch; /* one decoded value */
    Py_ssize_t m;
    int oom;
    /* host agreement */
    const char *host0;
    Py_ssize_t host0_n;
    int host_same;
    /* fields JSON texts written so far, by hash (dedupe_fields) */
    uint32_t *seen_off, *seen_n; /* SEEN_SLOTS zeroed entries each, on the heap (a chunk's
                                  * text is under 2 GiB: checked) */
} scan_t;

#include "_scan_shared.h"

static const char *MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";

static inline int is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/* Python's str.isspace() over ASCII: \s in the careful path's regexes */
static inline int is_pyspace(unsigned char c) {
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
}

/* No byte >= 0x80 and no CR in p[0:n], eight bytes at a time */
static int plain_ascii(const char *p, Py_ssize_t n) {
    const uint64_t high = 0x8080808080808080ULL, ones = 0x0101010101010101ULL;
    Py_ssize_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t w, x;
        memcpy(&w, p + k, 8);
        x = w ^ (ones * '\r');
        if ((w & high) || ((x - ones) & ~x & high)) return 0;
    }
    for (; k < n; k++)
        if ((unsigned char)p[k] >= 0x80 || p[k] == '\r') return 0;
    return 1;
}

static int month_of(const char *p) {
    for (int k = 0; k < 12; k++)
        if (p[0] == MONTHS[3 * k] && p[1] == MONTHS[3 * k + 1] && p[2] == MONTHS[3 * k + 2])
            return k + 1;
    return 0;
}

static int digits(const char *p, int n, int *out) {
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (!is_digit(p[k])) return 0;
        v = v * 10 + (p[k] - '0');
    }
    *out = v;
    return 1;
}

/* ---- the text buffer ---------------------------------------------------------------- */

/* The text buffer is one bytes object sized for the worst case (never touched pages cost
 * nothing) and shrunk to what was written at the end: no growth, no copy. */
static int reserve(scan_t *s, Py_ssize_t more) {
    if (s->text_len + more <= s->text_cap) return 1;
    s->oom = 1;
    return 0;
}

/* ---- Go strings --------------------------------------------------------------------- */

/* The closing quote of a Go string whose body starts at p (end excluded). Returns its
 * index, -1 when unterminated or when an escape needs the careful path (\x \u \U octal). */
static Py_ssize_t go_close(const char *p, Py_ssize_t n, int *escaped) {
    *escaped = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        char c = p[k];
        if (c == '"') return k;
        if (c == '\\') {
            if (k + 1 >= n) return -1;
            char e = p[k + 1];
            if (e == 'x' || e == 'u' || e == 'U' || (e >= '0' && e <= '7')) return -1;
            *escaped = 1;
            k++;
        }
    }
    return -1;
}

/* Undo Go quoting of a checked body (see go_close) into out; returns the length. */
static Py_ssize_t go_unquote(const char *p, Py_ssize_t n, char *out) {
    Py_ssize_t o = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        char c = p[k];
        if (c != '\\') {
            out[o++] = c;
            continue;
        }
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
        default: /* not a Go escape: kept verbatim, as the careful path does */
            out[o++] = '\\';
            out[o++] = e;
        }
    }
    return o;
}

/* A value: a span of the file, or (escaped) unquoted into the text buffer. */
static val_t value_of(scan_t *s, span_t raw, int escaped) {
    val_t v = {raw.p, raw.n, 0, 0, 1};
    if (!escaped) return v;
    Py_ssize_t off = s->text_len;
    Py_ssize_t n = go_unquote(raw.p, raw.n, s->text + off);
    s->text_len += n;
    v.p = s->text + off;
    v.n = n;
    v.in_text = 1;
    v.off = off;
    return v;
}

/* ---- flat JSON values: {"k":"v",...} or ["v",...] with plain strings ------------------- */

/* Length of a flat JSON object/array at p (as the vectorised path's _FLAT), else 0.
 * Strings hold no quote, backslash, space or control character, object keys are \w+, and
 * an object names each key once: then json.dumps(json.loads(text)) == text. */
static Py_ssize_t flat_json(const char *p, Py_ssize_t n) {
    Py_ssize_t k = 0;
    if (n < 2) return 0;
    int obj = p[0] == '{';
    if (!obj && p[0] != '[') return 0;
    k = 1;
    if (!obj && p[1] == ']') return 2;
    span_t keys[MAX_PAIRS];
    int nkeys = 0;
    for (;;) {
        if (obj) {
            if (k >= n || p[k] != '"') return 0;
            Py_ssize_t ks = ++k;
            while (k < n && (is_alnum(p[k]) || p[k] == '_')) k++;
            if (k == ks || k >= n || p[k] != '"') return 0;
            span_t key = {p + ks, k - ks};
            for (int j = 0; j < nkeys; j++)
                if (keys[j].n == key.n && !memcmp(keys[j].p, key.p, (size_t)key.n)) return 0;
            if (nkeys >= MAX_PAIRS) return 0;
            keys[nkeys++] = key;
            k++;
            if (k >= n || p[k] != ':') return 0;
            k++;
        }
        if (k >= n || p[k] != '"') return 0;
        k++;
        while (k < n && p[k] != '"') {
            unsigned char c = (unsigned char)p[k];
            if (c == '\\' || c == ' ' || c < 0x20) return 0;
            k++;
        }
        if (k >= n) return 0;
        k++;
        if (k < n && p[k] == ',') {
            k++;
            continue;
        }
        if (k < n && p[k] == (obj ? '}' : ']')) return k + 1;
        return 0;
    }
}

/* The string value of "key" in a checked flat JSON object */
static int json_get(span_t obj, const char *key, span_t *out) {
    Py_ssize_t kl = (Py_ssize_t)strlen(key);
    const char *p = obj.p, *end = obj.p + obj.n;
    while (p < end) {
        if (*p == '"' && end - p > kl + 3 && !memcmp(p + 1, key, (size_t)kl) && p[kl + 1] == '"' &&
            p[kl + 2] == ':' && (p[-1] == '{' || p[-1] == ',')) {
            const char *v = p + kl + 4;
            const char *q = memchr(v, '"', (size_t)(end - v));
            if (!q) return 0;
            out->p = v;
            out->n = q - v;
            return 1;
        }
        p++;
    }
    return 0;
}

/* ---- sandbox ids inside texts (klog.SANDBOX_RE) ---------------------------------------- */

static int eq_at(const char *t, Py_ssize_t n, Py_ssize_t at, const char *lit) {
    Py_ssize_t l = (Py_ssize_t)strlen(lit);
    return at >= 0 && at + l <= n && !memcmp(t + at, lit, (size_t)l);
}

static int hex64_at(const char *t, Py_ssize_t n, Py_ssize_t at) {
    if (at + 64 > n) return 0;
    for (int k = 0; k < 64; k++)
        if (!is_lowhex(t[at + k])) return 0;
    return 1;
}

/* After `(?:network for sandbox|sandbox container)`: ` \\*"` then the id */
static Py_ssize_t quoted_id(const char *t, Py_ssize_t n, Py_ssize_t k) {
    if (k >= n || t[k] != ' ') return -1;
    k++;
    while (k < n && t[k] == '\\') k++;
    if (k >= n || t[k] != '"') return -1;
    return hex64_at(t, n, k + 1) ? k + 1 : -1;
}

/* After `pod (?:network )?sandbox`: ` k8s_[^(\s]*\(` then the id */
static Py_ssize_t crio_id(const char *t, Py_ssize_t n, Py_ssize_t k) {
    if (!eq_at(t, n, k, " k8s_")) return -1;
    k += 5;
    while (k < n && t[k] != '(' && !is_pyspace((unsigned char)t[k])) k++;
    if (k >= n || t[k] != '(') return -1;
    return hex64_at(t, n, k + 1) ? k + 1 : -1;
}

/* Position of the id of SANDBOX_RE's leftmost match in t, or -1. */
static Py_ssize_t sandbox_in(const char *t, Py_ssize_t n) {
    Py_ssize_t best = -1, best_start = PY_SSIZE_T_MAX;
    const char *p = t, *end = t + n;
    while (p < end) {
        const char *q = memmem(p, (size_t)(end - p), "sandbox", 7);
        if (!q) break;
        Py_ssize_t at = q - t;
        if (at - 12 > best_start) break;
        Py_ssize_t id;
        if (eq_at(t, n, at - 12, "network for ") && (id = quoted_id(t, n, at + 7)) >= 0 &&
            at - 12 < best_start) {
            best = id;
            best_start = at - 12;
        }
        if (eq_at(t, n, at, "sandbox container") && (id = quoted_id(t, n, at + 17)) >= 0 &&
            at < best_start) {
            best = id;
            best_start = at;
        }
        if (eq_at(t, n, at - 4, "pod ") && (id = crio_id(t, n, at + 7)) >= 0 &&
            at - 4 < best_start) {
            best = id;
            best_start = at - 4;
        }
        if (eq_at(t, n, at - 12, "pod network ") && (id = crio_id(t, n, at + 7)) >= 0 &&
            at - 12 < best_start) {
            best = id;
            best_start = at - 12;
        }
        p = q + 1;
    }
    return best;
}

/* ---- key=value pairs (_klogkv.parse_kv) --------------------------------------------------- */

/* Read the pairs of body[a:e]; 0 when the careful path must (unreadable rest, blocks, JSON
 * other than flat, unterminated or unusual escapes, a repeated key, a `pid` key). */
static int read_pairs(const char *body, Py_ssize_t a, Py_ssize_t e, pair_t *pairs, int *count) {
    int np = 0;
    for (;;) {
        while (a < e && body[a] == ' ') a++;
        if (a >= e) break;
        Py_ssize_t ke = a;
        while (ke < e && body[ke] != '=' && body[ke] != ' ' && body[ke] != '\t') ke++;
        if (ke >= e || body[ke] != '=' || ke == a) return 0;
        if (np >= MAX_PAIRS) return 0;
        pair_t *pr = &pairs[np++];
        pr->key = (span_t){body + a, ke - a};
        pr->escaped = 0;
        Py_ssize_t v = ke + 1;
        if (v < e && body[v] == '"') {
            Py_ssize_t qq = go_close(body + v + 1, e - v - 1, &pr->escaped);
            if (qq < 0) return 0;
            pr->type = V_QUOTED;
            pr->raw = (span_t){body + v + 1, qq};
            a = v + qq + 2;
        } else if (v < e && body[v] == '<' && v + 1 == e) {
            return 0; /* a block */
        } else if (v < e && (body[v] == '{' || body[v] == '[')) {
            Py_ssize_t jl = flat_json(body + v, e - v);
            if (!jl) return 0;
            pr->type = V_JSON;
            pr->raw = (span_t){body + v, jl};
            a = v + jl;
        } else {
            Py_ssize_t te = v;
            while (te < e && body[te] != ' ') te++;
            pr->type = V_TOKEN;
            pr->raw = (span_t){body + v, te - v};
            a = te;
        }
    }
    /* a repeated key keeps its first place and last value, and `pid` comes first: both are
     * left to the careful path */
    for (int x = 0; x < np; x++) {
        span_t kx = pairs[x].key;
        if (kx.n == 3 && !memcmp(kx.p, "pid", 3)) return 0;
        for (int y = 0; y < x; y++)
            if (pairs[y].key.n == kx.n && !memcmp(pairs[y].key.p, kx.p, (size_t)kx.n)) return 0;
    }
    *count = np;
    return 1;
}

static int key_is(span_t k, const char *lit) {
    Py_ssize_t l = (Py_ssize_t)strlen(lit);
    return k.n == l && !memcmp(k.p, lit, (size_t)l);
}

/* klog.ID_KEYS: pairs that become columns instead of fields */
static int is_id_key(span_t k) {
    return key_is(k, "err") || key_is(k, "pod") || key_is(k, "podUID") ||
           key_is(k, "podSandboxID") || key_is(k, "containerID") || key_is(k, "podName");
}

/* Length of a `^[a-z][a-z0-9+.-]*://` prefix, else 0 */
static Py_ssize_t scheme_len(const char *p, Py_ssize_t n) {
    if (n < 1 || p[0] < 'a' || p[0] > 'z') return 0;
    Py_ssize_t z = 1;
    while (z < n && ((p[z] >= 'a' && p[z] <= 'z') || is_digit(p[z]) || p[z] == '+' ||
                     p[z] == '.' || p[z] == '-'))
        z++;
    return eq_at(p, n, z, "://") ? z + 3 : 0;
}

/* The identity columns of klog._structured from the pairs; 0: careful path. */
static int identities(scan_t *s, pair_t *pairs, int np, val_t *error, val_t *ns, val_t *pod,
                      val_t *uid, val_t *sbx, val_t *cid) {
    span_t ev_id = {0}, ev_data = {0};
    int has_ev_id = 0, has_ev_data = 0;
    val_t podv = {0}, pnamev = {0};
    for (int x = 0; x < np; x++) {
        pair_t *pr = &pairs[x];
        span_t k = pr->key;
        if (key_is(k, "event") && pr->type == V_JSON && pr->raw.p[0] == '{') {
            has_ev_id = json_get(pr->raw, "ID", &ev_id);
            has_ev_data = json_get(pr->raw, "Data", &ev_data);
            continue;
        }
        if (!is_id_key(k)) continue;
        val_t v;
        if (pr->type == V_JSON) {
            /* newer kubelets log CRI ids as {"Type":..,"ID":..}; other JSON ids: careful */
            span_t inner;
            if (!(key_is(k, "podUID") || key_is(k, "podSandboxID")) || pr->raw.p[0] != '{')
                return 0;
            if (!json_get(pr->raw, "ID", &inner)) continue;
            v = (val_t){inner.p, inner.n, 0, 0, 1};
        } else {
            v = value_of(s, pr->raw, pr->escaped);
        }
        if (key_is(k, "err")) {
            *error = v;
        } else if (key_is(k, "pod")) {
            podv = v;
        } else if (key_is(k, "podName")) {
            pnamev = v;
        } else if (key_is(k, "podUID")) {
            if (v.n) *uid = v;
        } else if (key_is(k, "podSandboxID")) {
            if (v.n) *sbx = v;
        } else if (v.n) { /* containerID, without its scheme:// */
            Py_ssize_t z = scheme_len(v.p, v.n);
            v.p += z;
            v.n -= z;
            v.off += z;
            *cid = v;
        }
    }
    if (podv.set && podv.n) {
        const char *sl = memchr(podv.p, '/', (size_t)podv.n);
        if (sl) {
            Py_ssize_t cut = sl - podv.p;
            *ns = (val_t){podv.p, cut, podv.in_text, podv.off, 1};
            *pod = (val_t){sl + 1, podv.n - cut - 1, podv.in_text, podv.off + cut + 1, 1};
        } else {
            *pod = podv;
        }
    } else if (pnamev.set) {
        *pod = pnamev;
    }
    if (!uid->set && has_ev_id) *uid = (val_t){ev_id.p, ev_id.n, 0, 0, 1};
    if (!cid->set && has_ev_data) *cid = (val_t){ev_data.p, ev_data.n, 0, 0, 1};
    return 1;
}

/* ---- views ------------------------------------------------------------------------------ */

static void put_view(scan_t *s, int col, Py_ssize_t row, const char *p, Py_ssize_t n, int in_text,
                     Py_ssize_t off) {
    uint8_t *v = s->views[col] + 16 * row;
    uint32_t len = (uint32_t)n;
    memset(v, 0, 16);
    memcpy(v, &len, 4);
    if (n <= 12) {
        memcpy(v + 4, p, (size_t)n);
    } else {
        int32_t buf = in_text ? 1 : 0;
        uint32_t o = (uint32_t)(in_text ? off : (p - s->data) - s->base);
        memcpy(v + 4, p, 4);
        memcpy(v + 8, &buf, 4);
        memcpy(v + 12, &o, 4);
    }
    if (s->valid[col]) s->valid[col][row >> 3] |= (uint8_t)(1u << (row & 7));
}

static void put_val(scan_t *s, int col, Py_ssize_t row, val_t v) {
    if (v.set) {
        put_view(s, col, row, v.p, v.n, v.in_text, v.off);
        return;
    }
    memset(s->views[col] + 16 * row, 0, 16);
    if (s->valid[col]) s->valid[col][row >> 3] &= (uint8_t)~(1u << (row & 7));
}

/* ---- one line ----------------------------------------------------------------------------- */

/* True when the careful path certainly takes line i as a journald record (the subset of
 * SHORT_RE with an English month, or a `-- marker --`); False when unsure. */
static int surely_record(scan_t *s, Py_ssize_t i) {
    const char *p = s->data + s->starts[i];
    Py_ssize_t n = s->lens[i], k;
    if (n >= 5 && p[0] == '-' && p[1] == '-' && p[2] == ' ' && p[n - 1] == '-' && p[n - 2] == '-') {
        for (k = 0; k < n; k++)
            if ((unsigned char)p[k] >= 0x80 || p[k] == '\r') return 0;
        return 1;
    }
    if (n < 20 || !month_of(p) || p[3] != ' ') return 0;
    k = 4;
    if (p[k] == ' ') k++;
    if (!is_digit(p[k])) return 0;
    k++;
    if (is_digit(p[k])) k++;
    if (p[k] != ' ') return 0;
    k++;
    if (k + 9 > n) return 0;
    if (!is_digit(p[k]) || !is_digit(p[k + 1]) || p[k + 2] != ':' || !is_digit(p[k + 3]) ||
        !is_digit(p[k + 4]) || p[k + 5] != ':' || !is_digit(p[k + 6]) || !is_digit(p[k + 7]))
        return 0;
    k += 8;
    if (k < n && p[k] == '.') {
        Py_ssize_t d = ++k;
        while (k < n && is_digit(p[k])) k++;
        if (k == d || k - d > 6) return 0;
    }
    if (k >= n || p[k] != ' ') return 0;
    k++;
    if (k >= n || !is_alnum(p[k])) return 0;
    while (k < n && (is_alnum(p[k]) || p[k] == '_' || p[k] == '.' || p[k] == '-')) k++;
    if (k >= n || p[k] != ' ') return 0;
    k++;
    Py_ssize_t id0 = k;
    while (k < n && p[k] != '[' && p[k] != ':') {
        unsigned char c = (unsigned char)p[k];
        if (c >= 0x80 || is_pyspace(c)) return 0;
        k++;
    }
    if (k == id0 || k >= n) return 0;
    if (p[k] == '[') {
        Py_ssize_t d = ++k;
        while (k < n && is_digit(p[k])) k++;
        if (k == d || k >= n || p[k] != ']') return 0;
        k++;
    }
    if (k >= n || p[k] != ':') return 0;
    k++;
    return k == n || p[k] == ' ';
}

/* True when `payload` might be read by a payload parser other than klog (klog JSON,
 * logrus, the Multus and calico headers, Multus entrypoint texts): the careful path decides.
 * Those shapes start with a digit, `{`, `[`, whitespace, a `pod:container ` prefix or one of
 * the caller's literal starts. */
static int maybe_other_shape(const scan_t *s, const char *h, Py_ssize_t hn) {
    unsigned char c = (unsigned char)h[0];
    if (is_digit((char)c) || c == '{' || c == '[' || is_pyspace(c)) return 1;
    if (c >= 'a' && c <= 'z') {
        Py_ssize_t k = 1;
        while (k < hn && ((h[k] >= 'a' && h[k] <= 'z') || is_digit(h[k]) || h[k] == '-' ||
                          h[k] == '.'))
            k++;
        if (k + 1 < hn && h[k] == ':' && ((h[k + 1] >= 'a' && h[k + 1] <= 'z') || is_digit(h[k + 1])))
            return 1;
    }
    for (int t = 0; t < s->ncareful; t++)
        if (hn >= s->careful[t].n && !memcmp(h, s->careful[t].p, (size_t)s->careful[t].n)) return 1;
    return 0;
}

/* The source column of a row: the table's name for its identifier, else the identifier.
 * Returns 0 when the identifier's plain payloads need the careful path (empty plain name). */
enum { SHAPE_PLAIN, SHAPE_KLOG, SHAPE_LOGRUS };

static int put_source(scan_t *s, Py_ssize_t row, span_t ident, int shape) {
    for (int t = 0; t < s->nsrc; t++) {
        if (s->src_ident[t].n != ident.n || memcmp(s->src_ident[t].p, ident.p, (size_t)ident.n))
            continue;
        span_t name = shape == SHAPE_KLOG ? s->src_klog[t]
                      : shape == SHAPE_LOGRUS ? s->src_logrus[t] : s->src_plain[t];
        if (!name.n) return 0;
        Py_ssize_t off = shape == SHAPE_KLOG ? s->src_klog_off[t]
                         : shape == SHAPE_LOGRUS ? s->src_logrus_off[t] : s->src_plain_off[t];
        put_view(s, C_SOURCE, row, s->text + off, name.n, 1, off);
        return 1;
    }
    put_view(s, C_SOURCE, row, ident.p, ident.n, 0, 0);
    return 1;
}

static int valid_date(int64_t year, int mon, int day, int hh, int mi, int ss) {
    if (mon < 1 || mon > 12 || year < 1 || year > 9999 || hh > 23 || mi > 59 || ss > 59) return 0;
    int leap = (year % 4 == 0) && (year % 100 != 0 || year % 400 == 0);
    return day >= 1 && day <= DAYS_IN_MONTH[mon] + (mon == 2 && leap);
}

static void note_host(scan_t *s, span_t host) {
    if (!s->host0) {
        s->host0 = host.p;
        s->host0_n = host.n;
    } else if (s->host_same &&
               (s->host0_n != host.n || memcmp(s->host0, host.p, (size_t)host.n))) {
        s->host_same = 0;
    }
}

/* A record whose payload no payload parser reads: message = payload, time = the stamp's. */
static int plain_row(scan_t *s, const char *p, Py_ssize_t n, span_t host, span_t ident, span_t pid,
                     const char *h, Py_ssize_t hn, int jmonth, int64_t year) {
    int day, hh, mi, ss, us = 0;
    if (!digits(p + 5, 1, &day)) return 0;
    if (p[4] != ' ') day += 10 * (p[4] - '0');
    if (!digits(p + 7, 2, &hh) || !digits(p + 10, 2, &mi) || !digits(p + 13, 2, &ss)) return 0;
    if (p[15] == '.' && !digits(p + 16, 6, &us)) return 0;
    if (!valid_date(year, jmonth, day, hh, mi, ss) || maybe_other_shape(s, h, hn)) return 0;
    if (!reserve(s, pid.n + 16)) return 0;
    Py_ssize_t row = s->m, mark = s->text_len;
    if (!put_source(s, row, ident, SHAPE_PLAIN)) {
        s->text_len = mark;
        return 0;
    }
    Py_ssize_t fields_off = s->empty_off, fields_n = 2;
    if (pid.n) {
        fields_off = s->text_len;
        put(s, "{\"pid\":\"", 8);
        put(s, pid.p, pid.n);
        put(s, "\"}", 2);
        fields_n = s->text_len - fields_off;
        fields_off = dedupe_fields(s, fields_off);
    }
    val_t none = {0};
    put_view(s, C_RAW, row, p, n, 0, 0);
    put_view(s, C_HOST, row, host.p, host.n, 0, 0);
    put_view(s, C_MESSAGE, row, h, hn, 0, 0);
    put_val(s, C_ERROR, row, none);
    put_view(s, C_FIELDS, row, s->text + fields_off, fields_n, 1, fields_off);
    put_val(s, C_NAMESPACE, row, none);
    put_val(s, C_POD, row, none);
    put_val(s, C_POD_UID, row, none);
    put_val(s, C_SANDBOX, row, none);
    put_val(s, C_CONTAINER, row, none);
    put_view(s, C_KIND, row, s->text + s->log_off, 3, 1, s->log_off);
    put_view(s, C_LEVEL, row, s->text + s->level_off[0], s->levels[0].n, 1, s->level_off[0]);
    s->time[row] = ((days_from_civil(year, jmonth, day) * 24 + hh) * 60 + mi) * 60 * 1000000LL +
                   ss * 1000000LL + us;
    s->aware[row] = 0;
    note_host(s, host);
    s->m++;
    return 1;
}

static int klog_row(scan_t *s, const char *p, Py_ssize_t n, span_t host, span_t ident, span_t pid,
                    const char *h, Py_ssize_t hn, int jmonth, int64_t year);

/* What klog._legacy reads from a pre-structured text */
typedef struct {
    Py_ssize_t message_n; /* the message is the text's first message_n bytes */
    val_t error, ns, pod, uid, cid;
    Py_ssize_t kind_off, kind_n;
} legacy_t;

static int kind_named(const scan_t *s, const char *name, legacy_t *lg) {
    Py_ssize_t l = (Py_ssize_t)strlen(name);
    for (int t = 0; t < s->nkinds; t++)
        if (s->kinds_name[t].n == l && !memcmp(s->kinds_name[t].p, name, (size_t)l)) {
            lg->kind_off = s->kinds_off[t];
            lg->kind_n = l;
            return 1;
        }
    return 0;
}

/* `"name_ns(uid)"` at t (klog.TARGET_RE inside the quotes): pod, namespace, uid. Returns the
 * index after the closing quote, or -1 when there is no closing quote. */
static Py_ssize_t target_at(const char *t, Py_ssize_t n, Py_ssize_t k, legacy_t *lg) {
    if (k >= n || t[k] != '"') return -1;
    const char *q = memchr(t + k + 1, '"', (size_t)(n - k - 1));
    if (!q) return -1;
    const char *a = t + k + 1, *e = q;
    const char *us = memchr(a, '_', (size_t)(e - a));
    if (us && us > a) {
        const char *par = memchr(us + 1, '(', (size_t)(e - us - 1));
        if (par && par > us + 1) {
            const char *cl = memchr(par + 1, ')', (size_t)(e - par - 1));
            if (cl && cl + 1 == e) {
                lg->pod = file_val(a, us - a);
                lg->ns = file_val(us + 1, par - us - 1);
                lg->uid = file_val(par + 1, cl - par - 1);
            }
        }
    }
    return q - t + 1;
}

/* 1: the text is one of the legacy shapes read here (lg filled); 0: none of them; -1: it
 * starts like one but the careful path must decide. */
static int legacy_text(const scan_t *s, const char *t, Py_ssize_t n, legacy_t *lg) {
    static const char sync[] = "Error syncing pod ", pleg[] = "SyncLoop (PLEG): ",
                      notready[] = "Container runtime network not ready: ";
    if (eq_at(t, n, 0, sync)) {
        /* Error syncing pod <uid> ("name_ns(uid)"), skipping: <err> */
        Py_ssize_t k = (Py_ssize_t)sizeof sync - 1, u0 = k;
        while (k < n && !is_pyspace((unsigned char)t[k])) k++;
        if (k == u0 || !eq_at(t, n, k, " (")) return -1;
        val_t uid = file_val(t + u0, k - u0);
        k = target_at(t, n, k + 2, lg);
        if (k < 0 || !eq_at(t, n, k, "), skipping: ")) return -1;
        if (!kind_named(s, "kubelet:pod:sync-error", lg)) return -1;
        lg->uid = uid; /* the text's own uid wins over the target's */
        lg->message_n = k + 11; /* up to `, skipping` */
        k += 13;
        lg->error = file_val(t + k, n - k);
        return 1;
    }
    if (eq_at(t, n, 0, pleg)) {
        /* SyncLoop (PLEG): "name_ns(uid)", event: &pleg.PodLifecycleEvent{ID:"..",
         * Type:"..", Data:".."} */
        static const char ev[] = ", event: &pleg.PodLifecycleEvent{ID:\"";
        Py_ssize_t k = target_at(t, n, (Py_ssize_t)sizeof pleg - 1, lg);
        if (k < 0 || !eq_at(t, n, k, ev)) return -1;
        k += (Py_ssize_t)sizeof ev - 1;
        const char *q = memchr(t + k, '"', (size_t)(n - k));
        if (!q) return -1;
        val_t uid = file_val(t + k, q - (t + k));
        k = q - t + 1;
        if (!eq_at(t, n, k, ", Type:\"")) return -1;
        q = memchr(t + k + 8, '"', (size_t)(n - k - 8));
        if (!q) return -1;
        k = q - t + 1;
        if (!eq_at(t, n, k, ", Data:\"")) return -1;
        k += 8;
        q = memchr(t + k, '"', (size_t)(n - k));
        if (!q || q + 1 >= t + n || q[1] != '}') return -1;
        if (!kind_named(s, "kubelet:pleg", lg)) return -1;
        if (uid.n) lg->uid = uid;
        if (q > t + k) lg->cid = file_val(t + k, q - (t + k));
        lg->message_n = n;
        return 1;
    }
    if (eq_at(t, n, 0, notready)) {
        if (!kind_named(s, "kubelet:network:not-ready", lg)) return -1;
        lg->message_n = (Py_ssize_t)sizeof notready - 3; /* without `: ` */
        lg->error = file_val(t + sizeof notready - 1, n - (Py_ssize_t)sizeof notready + 1);
        return 1;
    }
    return 0;
}

/* UTC microseconds of `YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)`, as
 * datetime.fromisoformat reads it (fraction truncated to microseconds); 0 when not that. */
static int logrus_stamp(const char *t, Py_ssize_t n, int64_t *out) {
    int y, mo, d, hh, mi, ss, us = 0, k = 19;
    if (n < 20 || !digits(t, 4, &y) || t[4] != '-' || !digits(t + 5, 2, &mo) || t[7] != '-' ||
        !digits(t + 8, 2, &d) || !(t[10] == 'T' || t[10] == ' ') || !digits(t + 11, 2, &hh) ||
        t[13] != ':' || !digits(t + 14, 2, &mi) || t[16] != ':' || !digits(t + 17, 2, &ss))
        return 0;
    if (t[k] == '.') {
        int nd = 0;
        for (k++; k < n && is_digit(t[k]); k++, nd++)
            if (nd < 6) us = us * 10 + (t[k] - '0');
        if (nd < 1 || nd > 9) return 0;
        for (; nd < 6; nd++) us *= 10;
    }
    int64_t off = 0;
    if (k + 1 == n && t[k] == 'Z') {
        off = 0;
    } else if (k + 6 == n && (t[k] == '+' || t[k] == '-') && t[k + 3] == ':') {
        int oh, om;
        if (!digits(t + k + 1, 2, &oh) || !digits(t + k + 4, 2, &om) || oh > 23 || om > 59)
            return 0;
        off = (t[k] == '-' ? -1 : 1) * (oh * 60 + om) * 60LL * 1000000LL;
    } else {
        return 0;
    }
    if (!valid_date(y, mo, d, hh, mi, ss)) return 0;
    *out = ((days_from_civil(y, mo, d) * 24 + hh) * 60 + mi) * 60 * 1000000LL + ss * 1000000LL +
           us - off;
    return 1;
}

/* Whether text holds a word that sends a runtime message to the careful path's classifier
 * (_logrus.RUNTIME_TRIGGER: sandboxes, CNI, pod networks, CRI-O's k8s_ names). */
static int runtime_trigger(const char *t, Py_ssize_t n) {
    static const char *words[] = {"andbox", "CNI", "cni", "Cni", "pod network", "k8s_"};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
        if (memmem(t, (size_t)n, words[w], strlen(words[w]))) return 1;
    return 0;
}

/* What _logrus.classify_runtime reads from a CRI-O message the scanner knows */
typedef struct {
    val_t ns, pod, uid, sbx;
    span_t netns;
    int start; /* kind runtime:sandbox:start */
} crio_t;

static span_t token_at(const char *t, const char *end) {
    const char *k = t;
    while (k < end && !is_pyspace((unsigned char)*k)) k++;
    return (span_t){t, k - t};
}

/* The two CRI-O texts of every sandbox (`Running pod sandbox: ns/pod/POD`, `Got pod network
 * &{Name:.. Namespace:.. ID:.. UID:.. NetNS:..}`) read as classify_runtime does, when the
 * payload holds no other word it looks for. 0: the careful path decides. */
static int crio_text(const char *h, Py_ssize_t hn, span_t msg, crio_t *c) {
    static const char *other[] = {"k8s_", "PodSandboxMetadata", "network for sandbox",
                                  "sandbox id", "sandbox container"};
    for (size_t w = 0; w < sizeof other / sizeof *other; w++)
        if (memmem(h, (size_t)hn, other[w], strlen(other[w]))) return 0;
    const char *t = msg.p, *end = msg.p + msg.n;
    static const char run[] = "Running pod sandbox: ", got[] = "Got pod network &{Name:";
    if (eq_at(t, msg.n, 0, run)) {
        const char *a = t + sizeof run - 1, *k = a;
        while (k < end && *k != '/' && !is_pyspace((unsigned char)*k)) k++;
        if (k == a || k >= end || *k != '/') return 0;
        const char *b = ++k;
        while (k < end && *k != '/' && !is_pyspace((unsigned char)*k)) k++;
        if (k == b || end - k < 4 || memcmp(k, "/POD", 4)) return 0;
        c->ns = file_val(a, b - 1 - a);
        c->pod = file_val(b, k - b);
        c->start = 1;
        return 1;
    }
    if (eq_at(t, msg.n, 0, got)) {
        const char *k = t + sizeof got - 1;
        span_t pod = token_at(k, end);
        k += pod.n;
        if (!pod.n || end - k < 11 || memcmp(k, " Namespace:", 11)) return 0;
        k += 11;
        span_t ns = token_at(k, end);
        k += ns.n;
        if (!ns.n || end - k < 4 || memcmp(k, " ID:", 4)) return 0;
        k += 4;
        const char *i0 = k;
        while (k < end && is_lowhex(*k)) k++;
        if (k == i0 || end - k < 5 || memcmp(k, " UID:", 5)) return 0;
        span_t id = {i0, k - i0};
        k += 5;
        span_t uid = token_at(k, end);
        if (!uid.n) return 0;
        k += uid.n;
        c->netns = (span_t){k, 0};
        if (end - k >= 7 && !memcmp(k, " NetNS:", 7)) c->netns = token_at(k + 7, end);
        c->pod = file_val(pod.p, pod.n);
        c->ns = file_val(ns.p, ns.n);
        c->uid = file_val(uid.p, uid.n);
        c->sbx = file_val(id.p, id.n);
        return 1;
    }
    return 0;
}

/* A `time="..." level=x msg=... k=v ...` payload (containerd, CRI-O) that the careful path
 * reads as a plain log record: no escapes, no `error=`, no repeated or `pid` key, no word its
 * classifier looks at. */
static int logrus_row(scan_t *s, const char *p, Py_ssize_t n, span_t host, span_t ident, span_t pid,
                      const char *h, Py_ssize_t hn) {
    if (hn < 8 || memcmp(h, "time=\"", 6) || memchr(h, '\\', (size_t)hn)) return 0;
    int trigger = runtime_trigger(h, hn);
    const char *end = h + hn, *q = memchr(h + 6, '"', (size_t)(hn - 6));
    if (!q) return 0;
    int64_t micros;
    if (!logrus_stamp(h + 6, q - (h + 6), &micros)) return 0;
    const char *k = q + 1;
    if (end - k < 8 || memcmp(k, " level=", 7)) return 0;
    k += 7;
    const char *lv = k;
    while (k < end && *k >= 'a' && *k <= 'z') k++;
    span_t level = {lv, k - lv};
    if (!level.n || end - k < 5 || memcmp(k, " msg=", 5)) return 0;
    k += 5;
    span_t msg;
    if (k < end && *k == '"') {
        const char *c = memchr(k + 1, '"', (size_t)(end - k - 1));
        if (!c) return 0;
        msg = (span_t){k + 1, c - k - 1};
        k = c + 1;
    } else {
        const char *m0 = k;
        while (k < end && !is_pyspace((unsigned char)*k)) {
            if (*k == '"') return 0;
            k++;
        }
        msg = (span_t){m0, k - m0};
    }
    /* the rest: ( key=value)* with plain keys and values */
    pair_t pairs[MAX_PAIRS];
    int np = 0;
    while (k < end) {
        if (*k != ' ') return 0;
        while (k < end && *k == ' ') k++;
        if (k >= end) break;
        const char *k0 = k;
        while (k < end && (is_alnum(*k) || *k == '_' || *k == '.' || *k == '-' || *k == '/')) k++;
        if (k == k0 || k >= end || *k != '=' || np >= MAX_PAIRS) return 0;
        pair_t *pr = &pairs[np++];
        pr->key = (span_t){k0, k - k0};
        pr->escaped = 0;
        pr->type = V_QUOTED;
        k++;
        if (k < end && *k == '"') {
            const char *c = memchr(k + 1, '"', (size_t)(end - k - 1));
            if (!c) return 0;
            pr->raw = (span_t){k + 1, c - k - 1};
            k = c + 1;
        } else {
            const char *v0 = k;
            while (k < end && !is_pyspace((unsigned char)*k)) {
                if (*k == '"') return 0;
                k++;
            }
            pr->raw = (span_t){v0, k - v0};
        }
    }
    crio_t crio;
    memset(&crio, 0, sizeof crio);
    if (trigger && !crio_text(h, hn, msg, &crio)) return 0;
    for (int x = 0; x < np; x++) {
        span_t kx = pairs[x].key;
        if (key_is(kx, "pid") || key_is(kx, "error") || (crio.netns.n && key_is(kx, "netns")))
            return 0;
        for (int y = 0; y < x; y++)
            if (pairs[y].key.n == kx.n && !memcmp(pairs[y].key.p, kx.p, (size_t)kx.n)) return 0;
    }
    Py_ssize_t lvl_off = s->level_off[0], lvl_n = s->levels[0].n; /* info */
    for (int t = 0; t < s->nlr; t++)
        if (s->lr_name[t].n == level.n && !memcmp(s->lr_name[t].p, level.p, (size_t)level.n)) {
            lvl_off = s->lr_off[t];
            lvl_n = s->lr_level[t].n;
            break;
        }
    if (!reserve(s, 8 * n + 128)) return 0;
    Py_ssize_t row = s->m, mark = s->text_len;
    if (!put_source(s, row, ident, SHAPE_LOGRUS)) {
        s->text_len = mark;
        return 0;
    }
    Py_ssize_t fields_off = s->text_len;
    int first = 1;
    putc_(s, '{');
    if (pid.n) {
        put(s, "\"pid\":\"", 7);
        put(s, pid.p, pid.n);
        putc_(s, '"');
        first = 0;
    }
    for (int x = 0; x < np; x++) {
        if (!first) putc_(s, ',');
        first = 0;
        putc_(s, '"');
        put_json(s, pairs[x].key.p, pairs[x].key.n);
        put(s, "\":\"", 3);
        put_json(s, pairs[x].raw.p, pairs[x].raw.n);
        putc_(s, '"');
    }
    if (crio.netns.n) {
        if (!first) putc_(s, ',');
        put(s, "\"netns\":\"", 9);
        put_json(s, crio.netns.p, crio.netns.n);
        putc_(s, '"');
    }
    putc_(s, '}');
    val_t none = {0};
    put_view(s, C_RAW, row, p, n, 0, 0);
    put_view(s, C_HOST, row, host.p, host.n, 0, 0);
    put_view(s, C_MESSAGE, row, msg.p, msg.n, 0, 0);
    put_val(s, C_ERROR, row, none);
    Py_ssize_t fields_n = s->text_len - fields_off;
    fields_off = dedupe_fields(s, fields_off);
    put_view(s, C_FIELDS, row, s->text + fields_off, fields_n, 1, fields_off);
    put_val(s, C_NAMESPACE, row, crio.ns);
    put_val(s, C_POD, row, crio.pod);
    put_val(s, C_POD_UID, row, crio.uid);
    put_val(s, C_SANDBOX, row, crio.sbx);
    put_val(s, C_CONTAINER, row, none);
    if (crio.start)
        put_view(s, C_KIND, row, s->text + s->start_off, 21, 1, s->start_off);
    else
        put_view(s, C_KIND, row, s->text + s->log_off, 3, 1, s->log_off);
    put_view(s, C_LEVEL, row, s->text + lvl_off, lvl_n, 1, lvl_off);
    s->time[row] = micros;
    s->aware[row] = 1;
    note_host(s, host);
    s->m++;
    return 1;
}

/* Parse line i into output row s->m; returns 0 (row not emitted) when the careful path must
 * take it. */
static int scan_line(scan_t *s, Py_ssize_t i) {
    const char *p = s->data + s->starts[i];
    Py_ssize_t n = s->lens[i], k;
    int64_t year = s->years[i];
    if (year <= 0 || n < 24 || !plain_ascii(p, n)) return 0;
    if (p[n - 1] == '>' || (p[n - 1] == '<' && p[n - 2] == '=')) return 0; /* blocks, pager cuts */
    /* `Mar 11 14:02:07[.418601] host ident[pid]: ` (or `host ident: `) */
    int jmonth = month_of(p);
    if (!jmonth || p[3] != ' ' || !(p[4] == ' ' || is_digit(p[4])) || !is_digit(p[5]) ||
        p[6] != ' ')
        return 0;
    if (!is_digit(p[7]) || !is_digit(p[8]) || p[9] != ':' || !is_digit(p[10]) ||
        !is_digit(p[11]) || p[12] != ':' || !is_digit(p[13]) || !is_digit(p[14]))
        return 0;
    k = 15;
    if (p[k] == '.') {
        for (int d = 1; d <= 6; d++)
            if (!is_digit(p[k + d])) return 0;
        k += 7;
    }
    if (p[k] != ' ') return 0;
    Py_ssize_t host_at = ++k;
    if (!is_alnum(p[k])) return 0;
    while (k < n && (is_alnum(p[k]) || p[k] == '_' || p[k] == '.' || p[k] == '-')) k++;
    if (k >= n || p[k] != ' ') return 0;
    span_t host = {p + host_at, k - host_at};
    Py_ssize_t id0 = ++k;
    while (k < n && p[k] != '[' && p[k] != ':') {
        char c = p[k];
        if (c == ']' || is_pyspace((unsigned char)c)) return 0;
        k++;
    }
    if (k == id0 || k >= n) return 0;
    span_t ident = {p + id0, k - id0}, pid = {p, 0};
    if (p[k] == '[') {
        Py_ssize_t pid_at = ++k;
        while (k < n && is_digit(p[k])) k++;
        if (k == pid_at || k >= n || p[k] != ']') return 0;
        pid = (span_t){p + pid_at, k - pid_at};
        k++;
    }
    if (k + 2 >= n || p[k] != ':' || p[k + 1] != ' ') return 0; /* an empty payload: careful */
    k += 2;
    if (!(n - k >= 2 && (p[k] == 'I' || p[k] == 'W' || p[k] == 'E' || p[k] == 'F') &&
          is_digit(p[k + 1]))) {
        if (n - k >= 6 && !memcmp(p + k, "time=\"", 6))
            return logrus_row(s, p, n, host, ident, pid, p + k, n - k);
        return plain_row(s, p, n, host, ident, pid, p + k, n - k, jmonth, year);
    }
    return klog_row(s, p, n, host, ident, pid, p + k, n - k, jmonth, year);
}

/* A bare klog line (kubelet.log, glog files): the whole line is the klog record; node and
 * source are the file's, and the year is the caller's (no journald stamp to correct it). */
static int scan_bare(scan_t *s, Py_ssize_t i) {
    const char *p = s->data + s->starts[i];
    Py_ssize_t n = s->lens[i];
    span_t none = {p, 0};
    if (s->years[i] <= 0 || n < 24 || !plain_ascii(p, n)) return 0;
    if (p[n - 1] == '<' && p[n - 2] == '=') return 0; /* a block */
    return klog_row(s, p, n, none, none, none, p, n, 0, s->years[i]);
}

/* Whether line i starts with klog's header as klog.HEADER_RE reads it: 1 yes, 0 no, 2 unsure
 * (a byte beyond ASCII where the regex wants a digit: Python's \d reads Unicode digits). */
static int klog_header(const scan_t *s, Py_ssize_t i) {
    static const char shape[] = "L0000 00:00:00.000000"; /* L: level, 0: digit */
    const char *h = s->data + s->starts[i];
    Py_ssize_t hn = s->lens[i], j;
    if (hn < 24 || !(h[0] == 'I' || h[0] == 'W' || h[0] == 'E' || h[0] == 'F')) return 0;
    for (j = 1; j < 21; j++) {
        if (shape[j] == '0' ? is_digit(h[j]) : h[j] == shape[j]) continue;
        return shape[j] == '0' && (unsigned char)h[j] >= 0x80 ? 2 : 0;
    }
    if (h[j] != ' ') return 0;
    while (j < hn && h[j] == ' ') j++;
    Py_ssize_t t0 = j;
    while (j < hn && is_digit(h[j])) j++;
    if (j < hn && (unsigned char)h[j] >= 0x80) return 2;
    if (j == t0 || j >= hn || h[j] != ' ') return 0;
    Py_ssize_t c0 = ++j;
    while (j < hn && h[j] != ' ' && h[j] != ']') j++;
    return j > c0 && j + 1 < hn && h[j] == ']' && h[j + 1] == ' ';
}

/* The klog record `E0311 14:02:07.418552    2231 file.go:72] ...` at h into row s->m. */
static int klog_row(scan_t *s, const char *p, Py_ssize_t n, span_t host, span_t ident, span_t pid,
                    const char *h, Py_ssize_t hn, int jmonth, int64_t year) {
    if (hn < 24) return 0;
    int lvl;
    switch (h[0]) {
    case 'I': lvl = 0; break;
    case 'W': lvl = 1; break;
    case 'E': lvl = 2; break;
    case 'F': lvl = 3; break;
    default: return 0;
    }
    int kmon, kday, hh, mi, ss, us;
    if (!digits(h + 1, 2, &kmon) || !digits(h + 3, 2, &kday) || h[5] != ' ' ||
        !digits(h + 6, 2, &hh) || h[8] != ':' || !digits(h + 9, 2, &mi) || h[11] != ':' ||
        !digits(h + 12, 2, &ss) || h[14] != '.' || !digits(h + 15, 6, &us) || h[21] != ' ')
        return 0;
    Py_ssize_t j = 22;
    while (j < hn && h[j] == ' ') j++;
    Py_ssize_t t0 = j;
    while (j < hn && is_digit(h[j])) j++;
    if (j == t0 || j >= hn || h[j] != ' ') return 0;
    Py_ssize_t c0 = ++j;
    while (j < hn && h[j] != ' ' && h[j] != ']') j++;
    if (j == c0 || j + 1 >= hn || h[j] != ']' || h[j + 1] != ' ') return 0;
    const char *body = h + j + 2;
    Py_ssize_t bn = hn - j - 2;
    /* the klog time, with the journald stamp's year (a Dec/Jan boundary shifts it) */
    if (kmon == 12 && jmonth == 1) year -= 1;
    else if (kmon == 1 && jmonth == 12) year += 1;
    if (!valid_date(year, kmon, kday, hh, mi, ss)) return 0;
    int64_t micros =
        ((days_from_civil(year, kmon, kday) * 24 + hh) * 60 + mi) * 60 * 1000000LL +
        ss * 1000000LL + us;

    /* worst case new text of this row: fields JSON (6 bytes per escaped byte), decoded
     * message and error */
    if (!reserve(s, 8 * n + 128)) return 0;
    Py_ssize_t mark = s->text_len; /* rolled back when the row goes to the careful path */
    Py_ssize_t row = s->m;
    val_t message = {0}, error = {0}, ns = {0}, pod = {0}, uid = {0}, sbx = {0}, cid = {0};
    Py_ssize_t kind_off = s->log_off, kind_n = 3;
    pair_t pairs[MAX_PAIRS];
    int np = 0;
    if (bn > 0 && body[0] == '"') {
        int esc;
        Py_ssize_t q = go_close(body + 1, bn - 1, &esc);
        if (q < 0) goto slow;
        message = value_of(s, (span_t){body + 1, q}, esc);
        for (int t = 0; t < s->nkinds; t++)
            if (s->kinds_msg[t].n == message.n &&
                !memcmp(s->kinds_msg[t].p, message.p, (size_t)message.n)) {
                kind_off = s->kinds_off[t];
                kind_n = s->kinds_name[t].n;
                break;
            }
        if (!read_pairs(body, q + 2, bn, pairs, &np)) goto slow;
        if (!identities(s, pairs, np, &error, &ns, &pod, &uid, &sbx, &cid)) goto slow;
    } else {
        /* a legacy (unquoted) text: the careful path reads some call sites' own texts; the
         * three that old kubelets write most are read here, the others go there */
        legacy_t lg = {0};
        int got = legacy_text(s, body, bn, &lg);
        if (got < 0) goto slow;
        if (got == 0) {
            for (int t = 0; t < s->nlegacy; t++)
                if (bn >= s->legacy[t].n &&
                    !memcmp(body, s->legacy[t].p, (size_t)s->legacy[t].n))
                    goto slow;
            message = (val_t){body, bn, 0, 0, 1};
        } else {
            message = (val_t){body, lg.message_n, 0, 0, 1};
            error = lg.error;
            ns = lg.ns;
            pod = lg.pod;
            uid = lg.uid;
            cid = lg.cid;
            kind_off = lg.kind_off;
            kind_n = lg.kind_n;
        }
    }
    if (!sbx.set) {
        Py_ssize_t at = -1;
        val_t from = {0};
        if (error.set && error.n && (at = sandbox_in(error.p, error.n)) >= 0) from = error;
        else if (message.n && (at = sandbox_in(message.p, message.n)) >= 0) from = message;
        if (at >= 0) sbx = (val_t){from.p + at, 64, from.in_text, from.off + at, 1};
    }
    if (!ident.n) put_view(s, C_SOURCE, row, p, 0, 0, 0); /* bare files: the caller's */
    else if (!put_source(s, row, ident, SHAPE_KLOG)) goto slow;
    /* fields: {"pid": journald pid (when it has one), the other pairs in order} */
    Py_ssize_t fields_off = s->text_len;
    int first = 1;
    putc_(s, '{');
    if (pid.n) {
        put(s, "\"pid\":\"", 7);
        put(s, pid.p, pid.n);
        putc_(s, '"');
        first = 0;
    }
    for (int x = 0; x < np; x++) {
        pair_t *pr = &pairs[x];
        if (is_id_key(pr->key)) continue;
        if (!first) putc_(s, ',');
        first = 0;
        putc_(s, '"');
        put_json(s, pr->key.p, pr->key.n);
        put(s, "\":", 2);
        if (pr->type == V_JSON) {
            put(s, pr->raw.p, pr->raw.n);
            continue;
        }
        putc_(s, '"');
        if (pr->escaped) {
            Py_ssize_t dn = go_unquote(pr->raw.p, pr->raw.n, s->scratch);
            put_json(s, s->scratch, dn);
        } else {
            put_json(s, pr->raw.p, pr->raw.n);
        }
        putc_(s, '"');
    }
    putc_(s, '}');
    /* emit */
    put_view(s, C_RAW, row, p, n, 0, 0);
    put_view(s, C_HOST, row, host.p, host.n, 0, 0);
    put_val(s, C_MESSAGE, row, message);
    put_val(s, C_ERROR, row, error);
    Py_ssize_t fields_n = s->text_len - fields_off;
    fields_off = dedupe_fields(s, fields_off);
    put_view(s, C_FIELDS, row, s->text + fields_off, fields_n, 1, fields_off);
    put_val(s, C_NAMESPACE, row, ns);
    put_val(s, C_POD, row, pod);
    put_val(s, C_POD_UID, row, uid);
    put_val(s, C_SANDBOX, row, sbx);
    put_val(s, C_CONTAINER, row, cid);
    put_view(s, C_KIND, row, s->text + kind_off, kind_n, 1, kind_off);
    put_view(s, C_LEVEL, row, s->text + s->level_off[lvl], s->levels[lvl].n, 1, s->level_off[lvl]);
    s->time[row] = micros;
    s->aware[row] = 0;
    note_host(s, host);
    s->m++;
    return 1;
slow:
    s->text_len = mark;
    return 0;
}

/* ---- the Python entry point ------------------------------------------------------------------ */

static int table(PyObject *seq, span_t *out, int *count, const char *what) {
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast) return 0;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    if (n > MAX_TABLE) {
        Py_DECREF(fast);
        PyErr_Format(PyExc_ValueError, "%s: at most %d entries", what, MAX_TABLE);
        return 0;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, k);
        if (!PyBytes_Check(item)) {
            Py_DECREF(fast);
            PyErr_Format(PyExc_TypeError, "%s: bytes expected", what);
            return 0;
        }
        out[k].p = PyBytes_AS_STRING(item);
        out[k].n = PyBytes_GET_SIZE(item);
    }
    *count = (int)n;
    Py_DECREF(fast); /* the items stay alive in the caller's sequence */
    return 1;
}

PyDoc_STRVAR(scan_doc,
"scan(data, starts, lens, years, lo, hi, kinds, legacy, levels, sources, careful, logrus,\n"
"     bare=False, last=None)\n"
"-> tuple\n\n"
"Parse lines lo..hi of a journald file (klog payloads, and payloads no parser reads), or\n"
"with bare=True of a bare klog file (node and source columns left empty: the file's).\n"
"last: None, or one byte per line, nonzero on the last line of a file when data holds several\n"
"files: the line after it starts another file, so it does not continue that line.\n\n"
"data: the file's bytes; starts/lens/years: int64 arrays over all lines (year 0: unknown);\n"
"kinds: ((message, kind), ...) structured messages; legacy: text starts left to the careful\n"
"path; levels: names of the I, W, E, F severities; sources: ((ident, klog source, plain\n"
"source, logrus source), ...) for identifiers whose source is not their name (an empty\n"
"plain source sends their non-klog payloads to the careful path); careful: starts of payloads\n"
"another payload parser may read; logrus: ((logrus level, event level), ...).\n"
"Returns (slow, m, time, views, valid, text, host_same, aware): slow[r] is 1 for lines the\n"
"careful path must take; m rows were emitted; time holds their epoch microseconds, naive\n"
"local unless aware[r] (a logrus stamp with its zone: UTC);\n"
"views/valid are per column Arrow string views and validity bitmaps (None: no nulls) over\n"
"buffer 0 = data[starts[lo]:] and buffer 1 = text.");

static PyObject *scan(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_o, *starts_o, *lens_o, *years_o, *kinds_o, *legacy_o, *levels_o, *sources_o,
        *careful_o, *logrus_o, *last_o = Py_None;
    Py_ssize_t lo, hi;
    int bare = 0;
    if (!PyArg_ParseTuple(args, "OOOOnnOOOOOO|pO", &data_o, &starts_o, &lens_o, &years_o, &lo, &hi,
                          &kinds_o, &legacy_o, &levels_o, &sources_o, &careful_o, &logrus_o,
                          &bare, &last_o))
        return NULL;
    scan_t s;
    memset(&s, 0, sizeof s);
    Py_buffer dbuf, sbuf, lbuf, ybuf, tbuf;
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
        if (int64_buffer(lens_o, &lbuf, nlines, "lens")) {
            got = 2;
            if (int64_buffer(years_o, &ybuf, nlines, "years")) got = 3;
        }
    }
    PyObject *result = NULL, *slow_o = NULL, *time_o = NULL, *views_o = NULL, *valid_o = NULL,
             *text_o = NULL, *aware_o = NULL;
    if (got < 3) goto done;
    const uint8_t *last = NULL;
    if (last_o != Py_None) {
        if (PyObject_GetBuffer(last_o, &tbuf, PyBUF_SIMPLE) < 0) goto done;
        got = 4;
        if (tbuf.len != nlines) {
            PyErr_SetString(PyExc_ValueError, "scan: last needs one byte per line");
            goto done;
        }
        last = tbuf.buf;
    }
    if (lo < 0 || hi > nlines || lo > hi) {
        PyErr_SetString(PyExc_ValueError, "scan: bad line range");
        goto done;
    }
    s.data = dbuf.buf;
    s.starts = sbuf.buf;
    s.lens = lbuf.buf;
    s.years = ybuf.buf;
    s.nlines = nlines;
    s.base = lo < hi ? (Py_ssize_t)s.starts[lo] : 0;
    s.host_same = 1;
    {
        PyObject *fast = PySequence_Fast(kinds_o, "kinds");
        if (!fast) goto done;
        Py_ssize_t nk = PySequence_Fast_GET_SIZE(fast);
        if (nk > MAX_TABLE) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "kinds: too many entries");
            goto done;
        }
        for (Py_ssize_t k = 0; k < nk; k++) {
            PyObject *pairo = PySequence_Fast_GET_ITEM(fast, k);
            PyObject *msg, *name;
            if (!PyTuple_Check(pairo) || !PyArg_ParseTuple(pairo, "SS", &msg, &name)) {
                Py_DECREF(fast);
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "kinds: (bytes, bytes)");
                goto done;
            }
            s.kinds_msg[k] = (span_t){PyBytes_AS_STRING(msg), PyBytes_GET_SIZE(msg)};
            s.kinds_name[k] = (span_t){PyBytes_AS_STRING(name), PyBytes_GET_SIZE(name)};
        }
        s.nkinds = (int)nk;
        Py_DECREF(fast);
    }
    {
        PyObject *fast = PySequence_Fast(sources_o, "sources");
        if (!fast) goto done;
        Py_ssize_t ns = PySequence_Fast_GET_SIZE(fast);
        if (ns > MAX_TABLE) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "sources: too many entries");
            goto done;
        }
        for (Py_ssize_t k = 0; k < ns; k++) {
            PyObject *t = PySequence_Fast_GET_ITEM(fast, k);
            PyObject *id, *kl, *pl, *lr;
            if (!PyTuple_Check(t) || !PyArg_ParseTuple(t, "SSSS", &id, &kl, &pl, &lr)) {
                Py_DECREF(fast);
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "sources: (bytes,)*4");
                goto done;
            }
            s.src_ident[k] = (span_t){PyBytes_AS_STRING(id), PyBytes_GET_SIZE(id)};
            s.src_klog[k] = (span_t){PyBytes_AS_STRING(kl), PyBytes_GET_SIZE(kl)};
            s.src_plain[k] = (span_t){PyBytes_AS_STRING(pl), PyBytes_GET_SIZE(pl)};
            s.src_logrus[k] = (span_t){PyBytes_AS_STRING(lr), PyBytes_GET_SIZE(lr)};
        }
        s.nsrc = (int)ns;
        Py_DECREF(fast);
    }
    {
        PyObject *fast = PySequence_Fast(logrus_o, "logrus levels");
        if (!fast) goto done;
        Py_ssize_t nl = PySequence_Fast_GET_SIZE(fast);
        if (nl > MAX_TABLE) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_ValueError, "logrus levels: too many entries");
            goto done;
        }
        for (Py_ssize_t k = 0; k < nl; k++) {
            PyObject *t = PySequence_Fast_GET_ITEM(fast, k);
            PyObject *nm, *lv;
            if (!PyTuple_Check(t) || !PyArg_ParseTuple(t, "SS", &nm, &lv)) {
                Py_DECREF(fast);
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "logrus levels: pairs");
                goto done;
            }
            s.lr_name[k] = (span_t){PyBytes_AS_STRING(nm), PyBytes_GET_SIZE(nm)};
            s.lr_level[k] = (span_t){PyBytes_AS_STRING(lv), PyBytes_GET_SIZE(lv)};
        }
        s.nlr = (int)nl;
        Py_DECREF(fast);
    }
    int nlev = 0;
    if (!table(legacy_o, s.legacy, &s.nlegacy, "legacy") ||
        !table(levels_o, s.levels, &nlev, "levels") ||
        !table(careful_o, s.careful, &s.ncareful, "careful"))
        goto done;
    if (nlev != 4) {
        PyErr_SetString(PyExc_ValueError, "levels: four names expected (I, W, E, F)");
        goto done;
    }
    Py_ssize_t n = hi - lo, maxlen = 0, chunk_bytes = 0;
    for (Py_ssize_t i = lo; i < hi; i++) {
        if (s.lens[i] > maxlen) maxlen = s.lens[i];
        chunk_bytes += s.lens[i] + 1;
        if (s.starts[i] < 0 || s.lens[i] < 0 || s.starts[i] + s.lens[i] > dbuf.len) {
            PyErr_SetString(PyExc_ValueError, "scan: line bounds outside data");
            goto done;
        }
    }
    if (lo < hi && s.starts[hi - 1] + s.lens[hi - 1] - s.base >= ((Py_ssize_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "scan: a chunk spans 2 GiB or more");
        goto done;
    }
    for (Py_ssize_t i = hi; i < nlines && i < hi + 1; i++)
        if (s.starts[i] < 0 || s.lens[i] < 0 || s.starts[i] + s.lens[i] > dbuf.len) {
            PyErr_SetString(PyExc_ValueError, "scan: line bounds outside data");
            goto done;
        }
    slow_o = PyBytes_FromStringAndSize(NULL, n);
    time_o = PyBytes_FromStringAndSize(NULL, n * 8);
    aware_o = PyBytes_FromStringAndSize(NULL, n);
    views_o = PyTuple_New(NCOLS);
    valid_o = PyTuple_New(NCOLS);
    if (!slow_o || !time_o || !aware_o || !views_o || !valid_o) goto done;
    for (int c = 0; c < NCOLS; c++) {
        PyObject *v = PyBytes_FromStringAndSize(NULL, n * 16);
        if (!v) goto done;
        PyTuple_SET_ITEM(views_o, c, v);
        s.views[c] = (uint8_t *)PyBytes_AS_STRING(v);
        int nullable = c == C_ERROR || c == C_NAMESPACE || c == C_POD || c == C_POD_UID ||
                       c == C_SANDBOX || c == C_CONTAINER;
        PyObject *b = Py_None;
        if (nullable) {
            b = PyBytes_FromStringAndSize(NULL, (n + 7) / 8);
            if (!b) goto done;
            memset(PyBytes_AS_STRING(b), 0, (size_t)((n + 7) / 8));
            s.valid[c] = (uint8_t *)PyBytes_AS_STRING(b);
        } else {
            Py_INCREF(b);
        }
        PyTuple_SET_ITEM(valid_o, c, b);
    }
    s.time = (int64_t *)PyBytes_AS_STRING(time_o);
    s.aware = (uint8_t *)PyBytes_AS_STRING(aware_o);
    s.slow = (uint8_t *)PyBytes_AS_STRING(slow_o);
    s.scratch = malloc((size_t)maxlen + 1);
    s.seen_off = calloc(2 * SEEN_SLOTS, sizeof(uint32_t));
    s.seen_n = s.seen_off ? s.seen_off + SEEN_SLOTS : NULL;
    /* per row at most 8 bytes per line byte + 128 (see scan_line), plus the name tables */
    Py_ssize_t table_bytes = 5 + 21;
    for (int k = 0; k < s.nkinds; k++) table_bytes += s.kinds_name[k].n;
    for (int k = 0; k < s.nsrc; k++)
        table_bytes += s.src_klog[k].n + s.src_plain[k].n + s.src_logrus[k].n;
    for (int k = 0; k < s.nlr; k++) table_bytes += s.lr_level[k].n;
    for (int k = 0; k < 4; k++) table_bytes += s.levels[k].n;
    text_o = PyBytes_FromStringAndSize(NULL, 8 * chunk_bytes + 128 * n + table_bytes);
    if (!s.scratch || !s.seen_off || !text_o) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    s.text = PyBytes_AS_STRING(text_o);
    s.text_cap = PyBytes_GET_SIZE(text_o);
    /* kind and level names once, at the start of the text buffer */
    s.log_off = s.text_len;
    put(&s, "log", 3);
    s.empty_off = s.text_len;
    put(&s, "{}", 2);
    s.start_off = s.text_len;
    put(&s, "runtime:sandbox:start", 21);
    for (int k = 0; k < s.nsrc; k++) {
        s.src_klog_off[k] = s.text_len;
        put(&s, s.src_klog[k].p, s.src_klog[k].n);
        s.src_plain_off[k] = s.text_len;
        put(&s, s.src_plain[k].p, s.src_plain[k].n);
        s.src_logrus_off[k] = s.text_len;
        put(&s, s.src_logrus[k].p, s.src_logrus[k].n);
    }
    for (int k = 0; k < s.nlr; k++) {
        s.lr_off[k] = s.text_len;
        put(&s, s.lr_level[k].p, s.lr_level[k].n);
    }
    for (int k = 0; k < s.nkinds; k++) {
        s.kinds_off[k] = s.text_len;
        put(&s, s.kinds_name[k].p, s.kinds_name[k].n);
    }
    for (int k = 0; k < 4; k++) {
        s.level_off[k] = s.text_len;
        put(&s, s.levels[k].p, s.levels[k].n);
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = lo; i < hi && !s.oom; i++) {
        int ok = bare ? scan_bare(&s, i) : scan_line(&s, i);
        /* a line that is not surely a record may continue this one: careful path for both */
        if (ok && i + 1 < nlines && !(last && last[i]) &&
            !(bare ? klog_header(&s, i + 1) == 1 : surely_record(&s, i + 1))) {
            s.m--;
            ok = 0;
            /* the row's text stays in the buffer unreferenced; rare (continuations) */
        }
        s.slow[i - lo] = (uint8_t)!ok;
    }
    Py_END_ALLOW_THREADS
    if (s.oom) { /* the per-row bound of scan_line was wrong: a bug, never silent */
        PyErr_SetString(PyExc_RuntimeError, "scan: new text exceeded its bound");
        goto done;
    }
    if (s.text_len >= ((Py_ssize_t)1 << 31)) {
        PyErr_SetString(PyExc_ValueError, "scan: new text of a chunk exceeds 2 GiB");
        goto done;
    }
    if (_PyBytes_Resize(&text_o, s.text_len) < 0) goto done;
    for (int c = 0; c < NCOLS; c++) {
        PyObject *v = PyTuple_GET_ITEM(views_o, c);
        PyTuple_SET_ITEM(views_o, c, NULL);
        if (_PyBytes_Resize(&v, s.m * 16) < 0) goto done;
        PyTuple_SET_ITEM(views_o, c, v);
    }
    if (_PyBytes_Resize(&time_o, s.m * 8) < 0 || _PyBytes_Resize(&aware_o, s.m) < 0) goto done;
    result = Py_BuildValue("(OnOOOOOO)", slow_o, s.m, time_o, views_o, valid_o, text_o,
                           s.host_same ? Py_True : Py_False, aware_o);
done:
    free(s.scratch);
    free(s.seen_off);
    Py_XDECREF(slow_o);
    Py_XDECREF(time_o);
    Py_XDECREF(views_o);
    Py_XDECREF(valid_o);
    Py_XDECREF(text_o);
    Py_XDECREF(aware_o);
    if (got >= 4) PyBuffer_Release(&tbuf);
    if (got >= 3) PyBuffer_Release(&ybuf);
    if (got >= 2) PyBuffer_Release(&lbuf);
    if (got >= 1) PyBuffer_Release(&sbuf);
    PyBuffer_Release(&dbuf);
    return result;
}

PyDoc_STRVAR(lines_doc,
"lines(data) -> (starts, lens, months)\n\n"
"Every physical line of data (a final newline adds no empty line): its start offset and\n"
"byte length as int64 bytes, and the English month of its syslog stamp (1..12, 0: none)\n"
"as uint8 bytes. One pass and no temporaries, where numpy needs several of file size.");

static PyObject *lines(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    const char *d = buf.buf, *end = d + buf.len;
    Py_ssize_t n = 0;
    Py_BEGIN_ALLOW_THREADS
    for (const char *p = d; p < end; n++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    Py_END_ALLOW_THREADS
    PyObject *starts_o = PyBytes_FromStringAndSize(NULL, n * 8);
    PyObject *lens_o = PyBytes_FromStringAndSize(NULL, n * 8);
    PyObject *months_o = PyBytes_FromStringAndSize(NULL, n);
    if (!starts_o || !lens_o || !months_o) {
        Py_XDECREF(starts_o);
        Py_XDECREF(lens_o);
        Py_XDECREF(months_o);
        PyBuffer_Release(&buf);
        return NULL;
    }
    int64_t *st = (int64_t *)PyBytes_AS_STRING(starts_o), *ln = (int64_t *)PyBytes_AS_STRING(lens_o);
    uint8_t *mo = (uint8_t *)PyBytes_AS_STRING(months_o);
    Py_BEGIN_ALLOW_THREADS
    const char *p = d;
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        st[i] = p - d;
        ln[i] = e - p;
        mo[i] = (uint8_t)(e - p >= 3 ? month_of(p) : 0);
        p = nl ? nl + 1 : end;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    return Py_BuildValue("(NNN)", starts_o, lens_o, months_o);
}

/* ---- years of stamped lines ----------------------------------------------------------------
 *
 * The year of every line from its month alone (rollover aware), as
 * formats/fast/_bytevec.rollover_offsets counts rollovers: a month more than six below the
 * previous stamp's is a new year, more than six above it a year back (newest first). Done here
 * in one pass per question, because numpy's version makes about a dozen temporaries of eight
 * bytes per line (700 MiB for a 2 GiB journal), each first-touched fresh memory; numpy asks
 * for transparent huge pages on large arrays, whose faults were most of that parse's
 * system time. */

static inline int rollover_step(int prev, int cur) {
    return cur < prev - 6 ? 1 : cur > prev + 6 ? -1 : 0;
}

PyDoc_STRVAR(rollovers_doc,
"rollovers(months) -> (rollovers, first month, last month) or None\n\n"
"months: one byte per line, its month 1..12 or 0 (no stamp). The year rollovers counted from\n"
"the first stamped line to the last, and their months; None when no line has a month.");

static PyObject *rollovers(PyObject *self, PyObject *arg) {
    (void)self;
    Py_buffer buf;
    if (PyObject_GetBuffer(arg, &buf, PyBUF_SIMPLE) < 0) return NULL;
    const uint8_t *m = buf.buf;
    Py_ssize_t n = buf.len;
    int first = 0, prev = 0;
    int64_t total = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int cur = m[i];
        if (!cur) continue;
        if (prev) total += rollover_step(prev, cur);
        else first = cur;
        prev = cur;
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&buf);
    if (!first) Py_RETURN_NONE;
    return Py_BuildValue("(Lii)", (long long)total, first, prev);
}

PyDoc_STRVAR(years_doc,
"years(months, first) -> bytes\n\n"
"Per line (int64): first plus the year rollovers since the first stamped line for lines\n"
"with a month (see rollovers), 0 for the others.");

static PyObject *years(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *months_o;
    long long first;
    if (!PyArg_ParseTuple(args, "OL", &months_o, &first)) return NULL;
    Py_buffer buf;
    if (PyObject_GetBuffer(months_o, &buf, PyBUF_SIMPLE) < 0) return NULL;
    const uint8_t *m = buf.buf;
    Py_ssize_t n = buf.len;
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * 8);
    if (out) {
        int64_t *y = (int64_t *)PyBytes_AS_STRING(out), year = first;
        Py_BEGIN_ALLOW_THREADS
        int prev = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            int cur = m[i];
            if (cur && prev) year += rollover_step(prev, cur);
            if (cur) prev = cur;
            y[i] = cur ? year : 0;
        }
        Py_END_ALLOW_THREADS
    }
    PyBuffer_Release(&buf);
    return out;
}

PyDoc_STRVAR(klog_headers_doc,
"klog_headers(data, starts, lens) -> bytes\n\n"
"Per line: 1 when it starts with a klog header (klog.HEADER_RE), 0 when not, 2 when only\n"
"the regex can tell (a byte beyond ASCII where a digit is due).");

static PyObject *klog_headers(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *data_o, *starts_o, *lens_o;
    if (!PyArg_ParseTuple(args, "OOO", &data_o, &starts_o, &lens_o)) return NULL;
    Py_buffer dbuf, sbuf, lbuf;
    if (PyObject_GetBuffer(data_o, &dbuf, PyBUF_SIMPLE) < 0) return NULL;
    if (PyObject_GetBuffer(starts_o, &sbuf, PyBUF_C_CONTIGUOUS) < 0) {
        PyBuffer_Release(&dbuf);
        return NULL;
    }
    Py_ssize_t n = sbuf.len / 8;
    PyObject *out = NULL;
    if (!int64_buffer(lens_o, &lbuf, n, "lens")) goto fail;
    scan_t s;
    memset(&s, 0, sizeof s);
    s.data = dbuf.buf;
    s.starts = sbuf.buf;
    s.lens = lbuf.buf;
    for (Py_ssize_t i = 0; i < n; i++)
        if (s.starts[i] < 0 || s.lens[i] < 0 || s.starts[i] + s.lens[i] > dbuf.len) {
            PyErr_SetString(PyExc_ValueError, "klog_headers: line bounds outside data");
            goto done;
        }
    out = PyBytes_FromStringAndSize(NULL, n);
    if (out) {
        uint8_t *o = (uint8_t *)PyBytes_AS_STRING(out);
        Py_BEGIN_ALLOW_THREADS
        for (Py_ssize_t i = 0; i < n; i++) o[i] = (uint8_t)klog_header(&s, i);
        Py_END_ALLOW_THREADS
    }
done:
    PyBuffer_Release(&lbuf);
fail:
    PyBuffer_Release(&sbuf);
    PyBuffer_Release(&dbuf);
    return out;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, scan_doc},
    {"klog_headers", klog_headers, METH_VARARGS, klog_headers_doc},
    {"lines", lines, METH_O, lines_doc},
    {"rollovers", rollovers, METH_O, rollovers_doc},
    {"years", years, METH_VARARGS, years_doc},
    {"string_views", string_views, METH_VARARGS, string_views_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "multus_forensics._kscan",
    "One-pass scanner for journald-wrapped klog lines (see _kscan.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__kscan(void) { return PyModule_Create(&module); }
