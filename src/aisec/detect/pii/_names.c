/*
 * aisec.detect.pii._names: the Chinese person-name scorer of `aisec.detect.pii.names`
 * (`ChineseNameScorer`) in C.
 *
 * Same statistics, same steps, same arithmetic: the pre-filter in float32 as numpy does
 * it over the surname and given-name tables, the per-candidate score in double as
 * Python does it, ties broken the same way. The tables, word lists and context words
 * are the Python module's, passed in; the context words are found with Hyperscan's C
 * library from the same expressions and flags. The Python scorer remains the reference
 * (tests/detect/test_pii_native.py compares the two, name for name).
 */
#include "_hs.h"
#include <string.h>

/* ---- a map from one- or two-character strings to a double -------------------------- */

typedef struct {
    uint64_t *keys; /* 0 = empty */
    double *values;
    size_t mask;
} Map;

static inline uint64_t key_of(Py_UCS4 a, Py_UCS4 b, int len) {
    /* +1 so that no key is 0; the length keeps "a" apart from "a\0" */
    return (((uint64_t)a << 22) | ((uint64_t)b << 1) | (uint64_t)(len == 2)) + 1;
}

static inline size_t slot_of(uint64_t k, size_t mask) {
    k *= 0x9E3779B97F4A7C15ULL;
    return (size_t)(k >> 20) & mask;
}

static int map_from_dict(Map *m, PyObject *dict) {
    Py_ssize_t n = PyDict_Size(dict), pos = 0;
    size_t size = 16;
    while (size < (size_t)n * 2 + 16) size <<= 1;
    m->keys = PyMem_Calloc(size, sizeof *m->keys);
    m->values = PyMem_Calloc(size, sizeof *m->values);
    m->mask = size - 1;
    if (!m->keys || !m->values) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject *key, *value;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "word maps must have str keys");
            return -1;
        }
        Py_ssize_t len = PyUnicode_GET_LENGTH(key);
        if (len < 1 || len > 2) continue; /* only one- and two-character slices are looked up */
        double v = PyFloat_AsDouble(value);
        if (v == -1.0 && PyErr_Occurred()) return -1;
        uint64_t k = key_of(PyUnicode_READ_CHAR(key, 0), len == 2 ? PyUnicode_READ_CHAR(key, 1) : 0, (int)len);
        size_t s = slot_of(k, m->mask);
        while (m->keys[s] && m->keys[s] != k) s = (s + 1) & m->mask;
        m->keys[s] = k;
        m->values[s] = v;
    }
    return 0;
}

static inline int map_get(const Map *m, uint64_t k, double *out) {
    size_t s = slot_of(k, m->mask);
    while (m->keys[s]) {
        if (m->keys[s] == k) {
            *out = m->values[s];
            return 1;
        }
        s = (s + 1) & m->mask;
    }
    return 0;
}

static void map_free(Map *m) {
    PyMem_Free(m->keys);
    PyMem_Free(m->values);
}

/* ---- the scorer -------------------------------------------------------------------- */

typedef struct {
    int nchars;
    double bonus;
    int is_prefix;
} Context;

typedef struct {
    PyObject_HEAD
    hs_database_t *db;
    hs_scratch_t *scratch;
    Context *contexts;
    int n_contexts;
    float surname[0x10000];
    float given[0x10000];
    Map compound, words, weak_prefix, weak_suffix;
    Py_UCS4 separators[32];
    int n_separators;
    double threshold, strong, context_floor, field_bonus;
    float pre_threshold, pre_three_penalty;
} Scorer;

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Str;

static inline Py_UCS4 ch(const Str *s, Py_ssize_t i) { return PyUnicode_READ(s->kind, s->data, i); }

/* the value of text[a:b] (one or two characters) in ``m``, or 0 */
static double lookup(const Scorer *self, const Map *m, const Str *s, Py_ssize_t a, Py_ssize_t b) {
    (void)self;
    if (a < 0) a = 0;
    if (b > s->n) b = s->n;
    Py_ssize_t len = b - a;
    if (len < 1 || len > 2) return 0.0;
    double v;
    return map_get(m, key_of(ch(s, a), len == 2 ? ch(s, a + 1) : 0, (int)len), &v) ? v : 0.0;
}

static inline double word_at(const Scorer *self, const Str *s, Py_ssize_t i) {
    return lookup(self, &self->words, s, i, i + 2);
}

static int is_separator(const Scorer *self, Py_UCS4 c) {
    for (int k = 0; k < self->n_separators; k++)
        if (self->separators[k] == c) return 1;
    return 0;
}

typedef struct {
    Py_ssize_t start, end;
    double score;
} Name;

static int cmp_name(const void *pa, const void *pb) {
    const Name *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start); /* stable: candidates are in start order */
}

/* names(text, data) -> list[(start, end, score)]: ``ChineseNameScorer(ctx).names()`` for
 * the normalised ``text`` and its UTF-8 ``data``.
 * names(text, data, finding, confidence) -> list[Finding]: the same names as findings
 * (`finding_spec`), scored as `names.chinese_confidence` does: with ``confidence`` =
 * (offset, slope, base, cap), ``round(min(cap, base + slope * (score - threshold +
 * offset)), 3)`` */
static PyObject *Scorer_names(Scorer *self, PyObject *args) {
    PyObject *text, *finding = Py_None;
    double offset = 0, slope = 0, base = 0, cap = 0;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "Uy*|O(dddd)", &text, &buf, &finding, &offset, &slope, &base, &cap)) return NULL;
    PyTypeObject *ftype = NULL;
    PyObject *reporter = NULL;
    if (finding != Py_None && finding_spec(finding, &ftype, &reporter) < 0) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    Str s = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    Py_ssize_t n = s.n;
    HsHits hits = {0};
    double *bonus_at = NULL, *bonus_before = NULL;
    uint8_t *flags = NULL;
    float *sur = NULL, *giv = NULL;
    Name *found = NULL;
    Py_ssize_t *cstart = NULL, *cend = NULL;
    PyObject *result = NULL;
    bonus_at = PyMem_Calloc((size_t)n + 1, sizeof *bonus_at);
    bonus_before = PyMem_Calloc((size_t)n + 1, sizeof *bonus_before);
    flags = PyMem_Calloc((size_t)n + 1, 1); /* 1: candidate; 2: compound surname starts here */
    sur = PyMem_Malloc(((size_t)n + 1) * sizeof *sur);
    giv = PyMem_Malloc(((size_t)n + 3) * sizeof *giv);
    if (!bonus_at || !bonus_before || !flags || !sur || !giv) goto nomem;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = ch(&s, i);
        if (c > 0xFFFF) c = 0xFFFF; /* numpy's take(mode="clip") */
        sur[i] = self->surname[c];
        giv[i] = self->given[c];
    }
    giv[n] = giv[n + 1] = -9.0f;
    /* context words (Hyperscan reports byte offsets: count characters up to each) */
    if (hs_collect_all(self->db, self->scratch, &buf, &hits) < 0) goto done;
    if (hits.n) {
        CharCounter chars = {buf.buf, 0, 0};
        for (size_t k = 0; k < hits.n; k++) {
            if (hits.items[k].id >= (unsigned int)self->n_contexts) continue;
            const Context *cx = &self->contexts[hits.items[k].id];
            Py_ssize_t end = char_of(&chars, (Py_ssize_t)hits.items[k].end);
            if (cx->bonus == 0.0) { /* a compound surname */
                Py_ssize_t at = end - cx->nchars;
                if (at >= 0 && at <= n) flags[at] |= 2;
            } else if (cx->is_prefix) {
                Py_ssize_t pos = end;
                while (pos < n) {
                    Py_UCS4 c = ch(&s, pos);
                    if (c != ' ' && c != ':' && c != ',') break;
                    pos++;
                }
                if (cx->bonus > bonus_at[pos]) bonus_at[pos] = cx->bonus;
            } else {
                Py_ssize_t start = end - cx->nchars;
                if (start >= 0 && cx->bonus > bonus_before[start]) bonus_before[start] = cx->bonus;
            }
        }
    }
    /* candidates: name-like statistics, or beside a context word */
    for (Py_ssize_t i = 0; i < n; i++) {
        float two = sur[i] + giv[i + 1];
        float three = (two + giv[i + 2]) - self->pre_three_penalty;
        float best = two > three ? two : three;
        if ((best >= self->pre_threshold && sur[i] > -9.0f) || bonus_at[i] > 0.0 || (flags[i] & 2)) flags[i] |= 1;
    }
    for (Py_ssize_t e = 0; e <= n; e++) {
        if (bonus_before[e] > 0.0) {
            if (e - 2 >= 0) flags[e - 2] |= 1;
            if (e - 3 >= 0) flags[e - 3] |= 1;
        }
    }
    found = PyMem_Malloc(((size_t)n + 1) * sizeof *found);
    if (!found) goto nomem;
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!(flags[i] & 1)) continue;
        /* ChineseNameScorer.best(i) */
        int surname_len = 1;
        double base = (double)sur[i], comp;
        if (i + 2 <= n && map_get(&self->compound, key_of(ch(&s, i), ch(&s, i + 1), 2), &comp)) {
            surname_len = 2;
            base = comp;
        } else if (base <= -9.0) {
            continue;
        }
        Py_ssize_t g = i + surname_len;
        double left_pen = i > 0 ? 0.7 * word_at(self, &s, i - 1) : 0.0;
        Py_ssize_t opt_end[2];
        double opt_score[2];
        int n_opt = 0;
        for (int glen = 1; glen <= 2; glen++) {
            if (g + glen > n + 2) break; /* the slice would be short */
            double parts = 0.0, lowest = 1e300;
            for (int k = 0; k < glen; k++) {
                double v = (double)giv[g + k];
                parts += v;
                if (v < lowest) lowest = v;
            }
            if (lowest <= -3.0) break;
            Py_ssize_t end = g + glen;
            double score = base + parts - left_pen;
            double first_word = surname_len == 1 ? word_at(self, &s, i) : 0.0;
            score -= glen == 1 ? first_word : 0.6 * first_word;
            if (end < n) score -= 0.7 * word_at(self, &s, end - 1);
            if (glen == 2) {
                double w = word_at(self, &s, g) - 1.5;
                score += 0.3 - 0.6 * (w > 0.0 ? w : 0.0);
            }
            double strong = bonus_at[i] + bonus_before[end];
            if (strong != 0.0) {
                score += strong;
            } else {
                double b1 = lookup(self, &self->weak_prefix, &s, i - 2, i);
                double b2 = lookup(self, &self->weak_prefix, &s, i - 1, i);
                double a1 = lookup(self, &self->weak_suffix, &s, end, end + 2);
                double a2 = lookup(self, &self->weak_suffix, &s, end, end + 1);
                double weak = (b1 > b2 ? b1 : b2) + (a1 > a2 ? a1 : a2);
                int before = i == 0 || is_separator(self, ch(&s, i - 1));
                int after = end == n || is_separator(self, ch(&s, end));
                score += weak + (before && after ? self->field_bonus : 0.0);
            }
            opt_end[n_opt] = end;
            opt_score[n_opt++] = score;
        }
        if (!n_opt) continue;
        int pick = (n_opt == 2 && opt_score[1] > opt_score[0]) ? 1 : 0;
        Py_ssize_t end = opt_end[pick];
        double score = opt_score[pick];
        double strongest = bonus_at[i] > bonus_before[end] ? bonus_at[i] : bonus_before[end];
        if (score >= self->threshold || (strongest >= self->strong && score - self->strong >= self->context_floor))
            found[m++] = (Name){i, end, score};
    }
    /* best score first (stable); keep the ones that overlap none kept before; text order */
    qsort(found, (size_t)m, sizeof *found, cmp_name);
    cstart = PyMem_Malloc(((size_t)m + 1) * sizeof *cstart);
    cend = PyMem_Malloc(((size_t)m + 1) * sizeof *cend);
    Name *kept = PyMem_Malloc(((size_t)m + 1) * sizeof *kept);
    if (!cstart || !cend || !kept) {
        PyMem_Free(kept);
        goto nomem;
    }
    Py_ssize_t k = 0;
    for (Py_ssize_t j = 0; j < m; j++) {
        Py_ssize_t a = found[j].start, b = found[j].end, lo = 0, hi = k;
        while (lo < hi) {
            Py_ssize_t mid = (lo + hi) / 2;
            if (a < cstart[mid]) hi = mid;
            else lo = mid + 1;
        }
        if ((lo > 0 && cend[lo - 1] > a) || (lo < k && cstart[lo] < b)) continue;
        memmove(cstart + lo + 1, cstart + lo, (size_t)(k - lo) * sizeof *cstart);
        memmove(cend + lo + 1, cend + lo, (size_t)(k - lo) * sizeof *cend);
        memmove(kept + lo + 1, kept + lo, (size_t)(k - lo) * sizeof *kept);
        cstart[lo] = a;
        cend[lo] = b;
        kept[lo] = found[j];
        k++;
    }
    result = PyList_New(k);
    if (result) {
        for (Py_ssize_t j = 0; j < k; j++) {
            PyObject *t = NULL;
            if (ftype) {
                double x = base + slope * (kept[j].score - self->threshold + offset), conf;
                if (round3(x < cap ? x : cap, &conf) == 0)
                    t = make_finding(ftype, reporter, kept[j].start, kept[j].end, conf);
            } else {
                t = Py_BuildValue("(nnd)", kept[j].start, kept[j].end, kept[j].score);
            }
            if (!t) {
                Py_CLEAR(result);
                break;
            }
            PyList_SET_ITEM(result, j, t);
        }
    }
    PyMem_Free(kept);
    goto done;
nomem:
    PyErr_NoMemory();
done:
    PyMem_Free(hits.items);
    PyMem_Free(bonus_at);
    PyMem_Free(bonus_before);
    PyMem_Free(flags);
    PyMem_Free(sur);
    PyMem_Free(giv);
    PyMem_Free(found);
    PyMem_Free(cstart);
    PyMem_Free(cend);
    PyBuffer_Release(&buf);
    return result;
}

/* ---- construction ------------------------------------------------------------------ */

static int copy_table(float *dst, PyObject *src) {
    Py_buffer view;
    if (PyObject_GetBuffer(src, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    int ok = view.len == (Py_ssize_t)(0x10000 * sizeof(float)) && view.itemsize == 4 && view.format
             && strcmp(view.format, "f") == 0;
    if (ok) memcpy(dst, view.buf, (size_t)view.len);
    PyBuffer_Release(&view);
    if (!ok) PyErr_SetString(PyExc_ValueError, "name tables must be float32 arrays of 65,536 entries");
    return ok ? 0 : -1;
}

/* Scorer(expressions, flags, contexts, surname, given, compound, words, weak_prefix,
 * weak_suffix, separators, params, database=None): ``contexts`` per expression a
 * (characters, bonus, is_prefix) tuple; ``params`` (threshold, pre_threshold, strong,
 * context_floor, field_bonus, three_penalty). */
static int Scorer_init(Scorer *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"expressions", "flags", "contexts", "surname", "given", "compound", "words",
                             "weak_prefix", "weak_suffix", "separators", "params", "database", NULL};
    PyObject *exprs_obj, *flags_obj, *contexts_obj, *surname, *given, *compound, *words, *wp, *ws, *separators,
        *params, *database = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOO!O!O!O!UO|O", kwlist, &exprs_obj, &flags_obj, &contexts_obj,
                                     &surname, &given, &PyDict_Type, &compound, &PyDict_Type, &words, &PyDict_Type,
                                     &wp, &PyDict_Type, &ws, &separators, &params, &database))
        return -1;
    if (self->db) {
        PyErr_SetString(PyExc_RuntimeError, "Scorer is already initialised");
        return -1;
    }
    if (copy_table(self->surname, surname) < 0 || copy_table(self->given, given) < 0) return -1;
    if (map_from_dict(&self->compound, compound) < 0 || map_from_dict(&self->words, words) < 0
        || map_from_dict(&self->weak_prefix, wp) < 0 || map_from_dict(&self->weak_suffix, ws) < 0)
        return -1;
    Py_ssize_t ns = PyUnicode_GET_LENGTH(separators);
    if (ns > 32) {
        PyErr_SetString(PyExc_ValueError, "at most 32 field separators");
        return -1;
    }
    for (Py_ssize_t i = 0; i < ns; i++) self->separators[i] = PyUnicode_READ_CHAR(separators, i);
    self->n_separators = (int)ns;
    double pre, penalty;
    if (!PyArg_ParseTuple(params, "dddddd", &self->threshold, &pre, &self->strong, &self->context_floor,
                          &self->field_bonus, &penalty))
        return -1;
    self->pre_threshold = (float)pre;
    self->pre_three_penalty = (float)penalty;
    PyObject *cf = PySequence_Fast(contexts_obj, "contexts must be a sequence");
    if (!cf) return -1;
    int rc = -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(cf), ne = PySequence_Size(exprs_obj);
    if (n == 0 || ne != n) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "expressions and contexts must be as long as each other");
        goto done;
    }
    self->contexts = PyMem_Calloc((size_t)n, sizeof *self->contexts);
    if (!self->contexts) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Context *c = &self->contexts[i];
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(cf, i), "idp", &c->nchars, &c->bonus, &c->is_prefix))
            goto done;
    }
    self->n_contexts = (int)n;
    if (hs_build_from(&self->db, database, exprs_obj, flags_obj, 0, 0) < 0) goto done;
    if (hs_alloc_scratch(self->db, &self->scratch) != HS_SUCCESS) {
        PyErr_NoMemory();
        goto done;
    }
    rc = 0;
done:
    Py_DECREF(cf);
    return rc;
}

static PyObject *Scorer_serialize(Scorer *self, PyObject *unused) { return hs_serialized(self->db); }

static void Scorer_dealloc(Scorer *self) {
    if (self->scratch) hs_free_scratch(self->scratch);
    if (self->db) hs_free_database(self->db);
    PyMem_Free(self->contexts);
    map_free(&self->compound);
    map_free(&self->words);
    map_free(&self->weak_prefix);
    map_free(&self->weak_suffix);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Scorer_methods[] = {
    {"names", (PyCFunction)Scorer_names, METH_VARARGS,
     "names(text: str, data: bytes[, finding, confidence]) -> list\n\n"
     "The Chinese names in the normalised text (data: its UTF-8), as (start, end, score);\n"
     "with finding = (Finding class, (kind, detector, version)) and confidence = (offset,\n"
     "slope, base, cap), as findings scored round(min(cap, base + slope * (score -\n"
     "threshold + offset)), 3)."},
    {"serialize", (PyCFunction)Scorer_serialize, METH_NOARGS, "The context-word database, for database=."},
    {NULL},
};

static PyTypeObject ScorerType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "aisec.detect.pii._names.Scorer",
    .tp_basicsize = sizeof(Scorer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The Chinese name scorer of aisec.detect.pii.names, in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Scorer_init,
    .tp_dealloc = (destructor)Scorer_dealloc,
    .tp_methods = Scorer_methods,
};

/* round3(x): `round3` of _hs.h, for the tests (Python's round(x, 3)) */
static PyObject *py_round3(PyObject *module, PyObject *arg) {
    double x = PyFloat_AsDouble(arg), out;
    if (x == -1.0 && PyErr_Occurred()) return NULL;
    if (round3(x, &out) < 0) return NULL;
    return PyFloat_FromDouble(out);
}

static PyMethodDef module_methods[] = {
    {"round3", py_round3, METH_O, "round3(x): round(x, 3) as the C parts compute it (for tests)."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_names",
    .m_doc = "The Chinese name scorer in C (see _names.c).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__names(void) { return hs_module(&module, &ScorerType, "Scorer"); }
