/*
 * aisec.text._fold: `aisec.text.normalize` in C, for speed on short texts (the numpy
 * version costs some 15 µs per call before it looks at a character) and on long ones.
 *
 * The rules and the table are the Python module's (it passes its fold table and its
 * expansions in); the steps are the same, in the same order, on the same code points:
 *
 *   1. each code point through the table: kept, replaced, deleted or expanded; beyond the
 *      table, tag characters and variation selectors are deleted, the rest kept;
 *   2. each run of white space (space, line break) collapses to its first character,
 *      which becomes a line break when the run has one;
 *   3. on that text, filler is cut: one to three noise characters between two Chinese
 *      characters, and one or two between two single Latin letters.
 *
 * Every output character carries the index of the input character it came from. The
 * Python version stays the reference (tests/text/test_fold_native.py holds the two to the
 * same text and map).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define LIMIT 0x30000u
#define DELETE 0x110000u
#define EXPAND 0x110001u
#define MAX_CJK_GAP 3
#define MAX_LATIN_GAP 2

typedef struct {
    uint32_t cp;
    uint32_t offset, len; /* into the flat expansion array */
} Expansion;

typedef struct {
    PyObject_HEAD
    uint32_t *fold;          /* LIMIT entries */
    Expansion *expansions;   /* sorted by cp */
    Py_ssize_t n_expansions;
    uint32_t *flat;
    uint8_t noise_cjk[128];  /* ASCII members of the noise sets, plus the middle dot below */
    uint8_t noise_latin[128];
    int middle_dot_cjk, middle_dot_latin; /* U+00B7 in the set */
} Folder;

static inline int is_han(uint32_t c) {
    return (c >= 0x3400 && c <= 0x9FFF) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF);
}
static inline int is_letter(uint32_t c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static inline int noise_cjk(const Folder *f, uint32_t c) {
    return c < 128 ? f->noise_cjk[c] : (c == 0xB7 && f->middle_dot_cjk);
}
static inline int noise_latin(const Folder *f, uint32_t c) {
    return c < 128 ? f->noise_latin[c] : (c == 0xB7 && f->middle_dot_latin);
}

static const Expansion *find_expansion(const Folder *f, uint32_t cp) {
    Py_ssize_t lo = 0, hi = f->n_expansions - 1;
    while (lo <= hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (f->expansions[mid].cp == cp) return &f->expansions[mid];
        if (f->expansions[mid].cp < cp) lo = mid + 1;
        else hi = mid - 1;
    }
    return NULL;
}

typedef struct {
    uint32_t *cp;
    int64_t *src;
    Py_ssize_t n, cap;
} Buf;

/* room for more: twice the capacity (0, -1 when out of memory) */
static int buf_grow(Buf *b) {
    Py_ssize_t cap = b->cap * 2 + 16;
    uint32_t *c = PyMem_Realloc(b->cp, (size_t)cap * sizeof *c);
    if (!c) return -1;
    b->cp = c;
    int64_t *s = PyMem_Realloc(b->src, (size_t)cap * sizeof *s);
    if (!s) return -1;
    b->src = s;
    b->cap = cap;
    return 0;
}

static inline int buf_push(Buf *b, uint32_t cp, int64_t src) {
    if (b->n == b->cap && buf_grow(b) < 0) return -1;
    b->cp[b->n] = cp;
    b->src[b->n] = src;
    b->n++;
    return 0;
}

/* step 1 of `fold` over ``n`` code units of type T: 0, -1 with an exception set, or -2
 * when out of memory */
#define FOLD_TABLE(NAME, T)                                                                      \
    static int NAME(const Folder *self, const void *data, Py_ssize_t n, Buf *b, int *changed) { \
        const T *u = data;                                                                       \
        for (Py_ssize_t i = 0; i < n; i++) {                                                     \
            uint32_t c = u[i], m;                                                                \
            if (c < LIMIT) m = self->fold[c];                                                    \
            else if ((c >= 0xE0000 && c <= 0xE007F) || (c >= 0xE0100 && c <= 0xE01EF)) m = DELETE; \
            else m = c;                                                                          \
            if (m == DELETE) {                                                                   \
                *changed = 1;                                                                    \
            } else if (m == EXPAND) {                                                            \
                const Expansion *e = find_expansion(self, c);                                    \
                *changed = 1;                                                                    \
                if (!e) {                                                                        \
                    PyErr_Format(PyExc_RuntimeError, "no expansion for U+%04X", c);              \
                    return -1;                                                                   \
                }                                                                                \
                for (uint32_t k = 0; k < e->len; k++)                                            \
                    if (buf_push(b, self->flat[e->offset + k], i) < 0) return -2;                \
            } else {                                                                             \
                *changed |= m != c;                                                              \
                if (buf_push(b, m, i) < 0) return -2;                                            \
            }                                                                                    \
        }                                                                                        \
        return 0;                                                                                \
    }
FOLD_TABLE(fold_table_1, Py_UCS1)
FOLD_TABLE(fold_table_2, Py_UCS2)
FOLD_TABLE(fold_table_4, Py_UCS4)

/* fold(text) -> (folded: str, src: bytes | None): ``src`` holds one int64 per character
 * of ``folded`` (native byte order), or is None when nothing changed (``folded`` is then
 * ``text`` itself). */
static PyObject *Folder_fold(Folder *self, PyObject *arg) {
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "fold() takes a str");
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    int kind = PyUnicode_KIND(arg);
    const void *data = PyUnicode_DATA(arg);
    Buf b = {0};
    PyObject *result = NULL;
    int changed = 0;
    if (n > 0) {
        b.cap = n + 16;
        b.cp = PyMem_Malloc((size_t)b.cap * sizeof *b.cp);
        b.src = PyMem_Malloc((size_t)b.cap * sizeof *b.src);
        if (!b.cp || !b.src) goto nomem;
    }
    /* 1. the table (a loop per string kind: no switch per character) */
    int r1 = kind == PyUnicode_1BYTE_KIND   ? fold_table_1(self, data, n, &b, &changed)
             : kind == PyUnicode_2BYTE_KIND ? fold_table_2(self, data, n, &b, &changed)
                                            : fold_table_4(self, data, n, &b, &changed);
    if (r1 == -2) goto nomem;
    if (r1 < 0) goto done;
    /* 2. white space runs */
    Py_ssize_t w = 0;
    for (Py_ssize_t r = 0; r < b.n;) {
        uint32_t c = b.cp[r];
        if (c != ' ' && c != '\n') {
            b.cp[w] = c;
            b.src[w++] = b.src[r++];
            continue;
        }
        Py_ssize_t e = r;
        int line = 0;
        while (e < b.n && (b.cp[e] == ' ' || b.cp[e] == '\n')) line |= b.cp[e++] == '\n';
        if (e - r > 1) changed = 1;
        b.cp[w] = (e - r > 1 && line) ? '\n' : c;
        b.src[w++] = b.src[r];
        r = e;
    }
    b.n = w;
    /* 3. filler: mark the characters to cut (both rules look at the same text) */
    if (b.n > 2) {
        uint8_t *cut = PyMem_Calloc((size_t)b.n, 1);
        if (!cut) goto nomem;
        int any = 0;
        Py_ssize_t prev_second = -1; /* the second letter of the last Latin pair */
        for (Py_ssize_t i = 0; i + 2 < b.n; i++) {
            uint32_t c = b.cp[i];
            if (is_han(c)) {
                Py_ssize_t j = i + 1;
                while (j < b.n && j - (i + 1) < MAX_CJK_GAP + 1 && noise_cjk(self, b.cp[j])) j++;
                Py_ssize_t gap = j - (i + 1);
                if (gap >= 1 && gap <= MAX_CJK_GAP && j < b.n && is_han(b.cp[j])) {
                    memset(cut + i + 1, 1, (size_t)gap);
                    any = 1;
                }
            } else if (is_letter(c) && (i == 0 || !is_letter(b.cp[i - 1]))) {
                Py_ssize_t j = i + 1;
                while (j < b.n && j - (i + 1) < MAX_LATIN_GAP + 1 && noise_latin(self, b.cp[j])) j++;
                Py_ssize_t gap = j - (i + 1);
                if (gap >= 1 && gap <= MAX_LATIN_GAP && j < b.n && is_letter(b.cp[j])
                    && (j + 1 == b.n || !is_letter(b.cp[j + 1]))) {
                    /* a lone pair whose second letter begins an e-mail address ("I a@b.cn")
                       is a word before the address, not a spaced-out local part
                       ("j o h n@b.cn" is one) */
                    int word = j + 1 < b.n && b.cp[j + 1] == '@' && i != prev_second;
                    prev_second = j;
                    if (!word) {
                        memset(cut + i + 1, 1, (size_t)gap);
                        any = 1;
                    }
                }
            }
        }
        if (any) {
            changed = 1;
            w = 0;
            for (Py_ssize_t r = 0; r < b.n; r++) {
                if (cut[r]) continue;
                b.cp[w] = b.cp[r];
                b.src[w++] = b.src[r];
            }
            b.n = w;
        }
        PyMem_Free(cut);
    }
    if (!changed) {
        result = Py_BuildValue("(OO)", arg, Py_None);
        goto done;
    }
    PyObject *folded = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, b.cp, b.n);
    if (!folded) goto done;
    PyObject *src = PyBytes_FromStringAndSize((const char *)b.src, b.n * (Py_ssize_t)sizeof(int64_t));
    if (!src) {
        Py_DECREF(folded);
        goto done;
    }
    result = PyTuple_Pack(2, folded, src);
    Py_DECREF(folded);
    Py_DECREF(src);
    goto done;
nomem:
    PyErr_NoMemory();
done:
    PyMem_Free(b.cp);
    PyMem_Free(b.src);
    return result;
}

static void Folder_dealloc(Folder *self) {
    PyMem_Free(self->fold);
    PyMem_Free(self->expansions);
    PyMem_Free(self->flat);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int cmp_expansion(const void *a, const void *b) {
    uint32_t x = ((const Expansion *)a)->cp, y = ((const Expansion *)b)->cp;
    return (x > y) - (x < y);
}

static int set_noise(uint8_t *table, int *middle_dot, PyObject *chars) {
    if (!PyUnicode_Check(chars) || PyUnicode_READY(chars) < 0) {
        PyErr_SetString(PyExc_TypeError, "noise sets must be str");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyUnicode_GET_LENGTH(chars); i++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(chars, i);
        if (c < 128) table[c] = 1;
        else if (c == 0xB7) *middle_dot = 1;
        else {
            PyErr_Format(PyExc_ValueError, "noise character U+%04X is not supported", c);
            return -1;
        }
    }
    return 0;
}

/* Folder(fold, expansions, noise_cjk, noise_latin): ``fold`` a buffer of LIMIT uint32
 * (the Python table), ``expansions`` a dict code point -> sequence of code points, the
 * noise sets as str. */
static int Folder_init(Folder *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"fold", "expansions", "noise_cjk", "noise_latin", NULL};
    PyObject *fold, *expansions, *ncjk, *nlatin;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OO", kwlist, &fold, &PyDict_Type, &expansions, &ncjk, &nlatin))
        return -1;
    if (self->fold) {
        PyErr_SetString(PyExc_RuntimeError, "Folder is already initialised");
        return -1;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(fold, &view, PyBUF_SIMPLE) < 0) return -1;
    if (view.len != (Py_ssize_t)(LIMIT * sizeof(uint32_t))) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "the fold table must hold %u uint32 values", LIMIT);
        return -1;
    }
    self->fold = PyMem_Malloc((size_t)view.len);
    if (!self->fold) {
        PyBuffer_Release(&view);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(self->fold, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    Py_ssize_t n = PyDict_Size(expansions), total = 0, pos = 0, i = 0;
    PyObject *key, *value;
    while (PyDict_Next(expansions, &pos, &key, &value)) {
        Py_ssize_t len = PySequence_Size(value);
        if (len < 0) return -1;
        total += len;
    }
    self->expansions = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Expansion));
    self->flat = PyMem_Calloc((size_t)(total ? total : 1), sizeof(uint32_t));
    if (!self->expansions || !self->flat) {
        PyErr_NoMemory();
        return -1;
    }
    pos = 0;
    uint32_t offset = 0;
    while (PyDict_Next(expansions, &pos, &key, &value)) {
        unsigned long cp = PyLong_AsUnsignedLong(key);
        if (PyErr_Occurred()) return -1;
        PyObject *fast = PySequence_Fast(value, "an expansion must be a sequence of code points");
        if (!fast) return -1;
        Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
        for (Py_ssize_t k = 0; k < len; k++) {
            unsigned long c = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(fast, k));
            if (PyErr_Occurred() || c > 0x10FFFF) {
                Py_DECREF(fast);
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "not a code point");
                return -1;
            }
            self->flat[offset + k] = (uint32_t)c;
        }
        Py_DECREF(fast);
        self->expansions[i++] = (Expansion){(uint32_t)cp, offset, (uint32_t)len};
        offset += (uint32_t)len;
    }
    self->n_expansions = n;
    qsort(self->expansions, (size_t)n, sizeof(Expansion), cmp_expansion);
    if (set_noise(self->noise_cjk, &self->middle_dot_cjk, ncjk) < 0) return -1;
    if (set_noise(self->noise_latin, &self->middle_dot_latin, nlatin) < 0) return -1;
    return 0;
}

static PyMethodDef Folder_methods[] = {
    {"fold", (PyCFunction)Folder_fold, METH_O,
     "fold(text: str) -> tuple[str, bytes | None]\n\n"
     "The normalised text and its map to the original (int64 per character), or\n"
     "(text, None) when nothing changed."},
    {NULL},
};

static PyTypeObject FolderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "aisec.text._fold.Folder",
    .tp_basicsize = sizeof(Folder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Text normalisation with the tables of aisec.text.normalize.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Folder_init,
    .tp_dealloc = (destructor)Folder_dealloc,
    .tp_methods = Folder_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_fold",
    .m_doc = "aisec.text.normalize in C (see _fold.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__fold(void) {
    if (PyType_Ready(&FolderType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&FolderType);
    if (PyModule_AddObject(m, "Folder", (PyObject *)&FolderType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
