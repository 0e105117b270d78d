/* Helpers both line scanners use (_kscan.c, _rscan.c), written once.
 *
 * Include it after the scanner's own `scan_t` (it needs `char *text` and `Py_ssize_t
 * text_len`, the output text buffer, sized by the caller before writing, and the table
 * `seen_off`, `seen_n`: SEEN_SLOTS zeroed integers each, arrays or pointers) and `val_t`. */
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

/* The fields JSON just written at text[off, text_len), nothing else viewing it: when the same
 * text was written before (a table of earlier ones by hash), the earlier copy is viewed and this
 * one dropped. A busy log repeats a few texts ({"pid":"2231"}, probe results, {"attempt": 0}) on
 * most rows.
 * Returns the offset to view. */
static Py_ssize_t dedupe_fields(scan_t *s, Py_ssize_t off) {
    Py_ssize_t n = s->text_len - off;
    if (n <= 12) return off; /* inline in its view */
    const unsigned char *p = (const unsigned char *)s->text + off;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (Py_ssize_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    size_t slot = (size_t)(h ^ (h >> 29)) & (SEEN_SLOTS - 1);
    if (s->seen_n[slot] == n && !memcmp(s->text + s->seen_off[slot], p, (size_t)n)) {
        s->text_len = off;
        return s->seen_off[slot];
    }
    s->seen_off[slot] = off;
    s->seen_n[slot] = n;
    return off;
}

/* ---- Arrow string views handed to polars without pyarrow (Arrow C data interface) ----
 *
 * polars adopts an object with `__arrow_c_array__` (the Arrow PyCapsule interface) without
 * copying its buffers. Building the column this way instead of through pyarrow keeps pyarrow
 * (tens of MiB resident once loaded and used) out of the parsing process. The buffers stay
 * exported (Py_buffer) until polars releases the array, so their owners live as long. */

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

typedef struct {
    Py_ssize_t nheld;     /* Py_buffer exports held */
    Py_buffer *held;
    const void **buffers; /* validity, views, data..., data sizes */
    int64_t *sizes;
} views_priv_t;

static void views_schema_release(struct ArrowSchema *schema) {
    if (schema->release == NULL) return;
    free((void *)schema->name);
    schema->release = NULL;
}

static void views_array_release(struct ArrowArray *array) {
    if (array->release == NULL) return;
    views_priv_t *p = (views_priv_t *)array->private_data;
    PyGILState_STATE gil = PyGILState_Ensure(); /* polars may release on any thread */
    for (Py_ssize_t i = 0; i < p->nheld; i++) PyBuffer_Release(&p->held[i]);
    PyGILState_Release(gil);
    free(p->held);
    free(p->buffers);
    free(p->sizes);
    free(p);
    array->release = NULL;
}

static void views_schema_capsule_free(PyObject *capsule) {
    struct ArrowSchema *schema = PyCapsule_GetPointer(capsule, "arrow_schema");
    if (schema == NULL) return;
    if (schema->release != NULL) schema->release(schema);
    free(schema);
}

static void views_array_capsule_free(PyObject *capsule) {
    struct ArrowArray *array = PyCapsule_GetPointer(capsule, "arrow_array");
    if (array == NULL) return;
    if (array->release != NULL) array->release(array);
    free(array);
}

static const char string_views_doc[] =
"string_views(name, n, views, valid, data) -> (schema capsule, array capsule)\n\n"
"An Arrow Utf8View array of n rows for polars' PyCapsule import: views (n * 16 bytes),\n"
"valid (an LSB bitmap of at least n bits, or None: every row valid) and data (a sequence\n"
"of buffers the views point into, by index) are shared, not copied.";

static PyObject *string_views(PyObject *self, PyObject *args) {
    (void)self;
    const char *name;
    Py_ssize_t n;
    PyObject *views_o, *valid_o, *data_o;
    if (!PyArg_ParseTuple(args, "snOOO", &name, &n, &views_o, &valid_o, &data_o)) return NULL;
    if (n < 0) return PyErr_Format(PyExc_ValueError, "n must be >= 0");
    PyObject *data = PySequence_Fast(data_o, "data: a sequence of buffers");
    if (data == NULL) return NULL;
    Py_ssize_t ndata = PySequence_Fast_GET_SIZE(data);
    struct ArrowSchema *schema = calloc(1, sizeof *schema);
    struct ArrowArray *array = calloc(1, sizeof *array);
    views_priv_t *p = calloc(1, sizeof *p);
    char *name_copy = p && schema && array ? strdup(name) : NULL;
    if (p) {
        p->held = calloc((size_t)(ndata + 2), sizeof(Py_buffer));
        p->buffers = calloc((size_t)(ndata + 3), sizeof(void *));
        p->sizes = calloc((size_t)(ndata + 1), sizeof(int64_t));
    }
    if (!schema || !array || !p || !name_copy || !p->held || !p->buffers || !p->sizes) {
        PyErr_NoMemory();
        goto fail;
    }
    int64_t nulls = 0;
    if (PyObject_GetBuffer(views_o, &p->held[p->nheld], PyBUF_C_CONTIGUOUS) < 0) goto fail;
    if (p->held[p->nheld].len < n * 16) {
        p->nheld++;
        PyErr_Format(PyExc_ValueError, "views: %zd rows need %zd bytes", n, n * 16);
        goto fail;
    }
    p->buffers[1] = p->held[p->nheld++].buf;
    if (valid_o != Py_None) {
        if (PyObject_GetBuffer(valid_o, &p->held[p->nheld], PyBUF_C_CONTIGUOUS) < 0) goto fail;
        const unsigned char *bits = p->held[p->nheld].buf;
        if (p->held[p->nheld].len * 8 < n) {
            p->nheld++;
            PyErr_Format(PyExc_ValueError, "valid: %zd rows need %zd bytes", n, (n + 7) / 8);
            goto fail;
        }
        p->buffers[0] = bits;
        p->nheld++;
        int64_t ones = 0;
        for (Py_ssize_t i = 0; i < n / 8; i++) ones += __builtin_popcount(bits[i]);
        for (Py_ssize_t i = n / 8 * 8; i < n; i++) ones += (bits[i >> 3] >> (i & 7)) & 1;
        nulls = n - ones;
    }
    for (Py_ssize_t k = 0; k < ndata; k++) {
        Py_buffer *held = &p->held[p->nheld];
        if (PyObject_GetBuffer(PySequence_Fast_GET_ITEM(data, k), held, PyBUF_SIMPLE) < 0)
            goto fail;
        p->nheld++;
        p->buffers[2 + k] = held->buf;
        p->sizes[k] = held->len;
    }
    p->buffers[2 + ndata] = p->sizes;
    Py_DECREF(data);
    data = NULL;

    schema->format = "vu";
    schema->name = name_copy;
    schema->flags = 2; /* ARROW_FLAG_NULLABLE */
    schema->release = views_schema_release;
    array->length = n;
    array->null_count = nulls;
    array->n_buffers = 3 + ndata;
    array->buffers = p->buffers;
    array->release = views_array_release;
    array->private_data = p;

    PyObject *sc = PyCapsule_New(schema, "arrow_schema", views_schema_capsule_free);
    if (sc == NULL) {
        views_schema_release(schema);
        free(schema);
        views_array_release(array);
        free(array);
        return NULL;
    }
    PyObject *ac = PyCapsule_New(array, "arrow_array", views_array_capsule_free);
    if (ac == NULL) {
        Py_DECREF(sc);
        views_array_release(array);
        free(array);
        return NULL;
    }
    return Py_BuildValue("(NN)", sc, ac);

fail:
    Py_XDECREF(data);
    if (p) {
        for (Py_ssize_t i = 0; i < p->nheld; i++) PyBuffer_Release(&p->held[i]);
        free(p->held);
        free(p->buffers);
        free(p->sizes);
        free(p);
    }
    free(name_copy);
    free(schema);
    free(array);
    return NULL;
}

#endif
