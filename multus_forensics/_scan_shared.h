/* Helpers both line scanners use (_kscan.c, _rscan.c), written once.
 *
 * Include it after the scanner's own `scan_t` (it needs `char *text` and `Py_ssize_t
 * text_len`, the output text buffer, sized by the caller before writing) and `val_t`. */
#ifndef MULTUS_FORENSICS_SCAN_SHARED_H
#define MULTUS_FORENSICS_SCAN_SHARED_H

static const int DAYS_IN_MONTH[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

static inline int is_digit(char c) { return c >= '0' && c <= '9'; }

static inline int is_lowhex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int int64_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t n, const char *what) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS) < 0) return 0;
    if (view->len != n * 8) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "%s: %zd int64 values expected", what, n);
        return 0;
    }
    return 1;
}

static inline void put(scan_t *s, const char *p, Py_ssize_t n) {
    memcpy(s->text + s->text_len, p, (size_t)n);
    s->text_len += n;
}

static inline void putc_(scan_t *s, char c) { s->text[s->text_len++] = c; }

/* JSON string body as Python's json.dumps(ensure_ascii=False) writes it (ASCII input) */
static void put_json(scan_t *s, const char *p, Py_ssize_t n) {
    static const char hex[] = "0123456789abcdef";
    for (Py_ssize_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        switch (c) {
        case '"': put(s, "\\\"", 2); break;
        case '\\': put(s, "\\\\", 2); break;
        case '\n': put(s, "\\n", 2); break;
        case '\r': put(s, "\\r", 2); break;
        case '\t': put(s, "\\t", 2); break;
        case '\b': put(s, "\\b", 2); break;
        case '\f': put(s, "\\f", 2); break;
        default:
            if (c < 0x20) {
                put(s, "\\u00", 4);
                putc_(s, hex[c >> 4]);
                putc_(s, hex[c & 15]);
            } else {
                putc_(s, (char)c);
            }
        }
    }
}

static val_t file_val(const char *p, Py_ssize_t n) { return (val_t){p, n, 0, 0, 1}; }

#endif
