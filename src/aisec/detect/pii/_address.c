/*
 * aisec.detect.pii._address: `find_chinese_addresses` of `aisec.detect.pii.address` in C.
 *
 * The same steps on the same data: one Hyperscan scan for the road-number and building
 * anchors and one for the division names (GB/T 2260, the Python module's list, passed
 * in); adjacent division names chained into a head; the details after a head (or after a
 * road name) taken by `detail`, which follows the DETAIL regular expression of the Python
 * module in its own matching order: every part optional and tried in turn, a lazy run of
 * characters before each part's keyword, the keywords in their listed order. The Python
 * function remains the reference (tests/detect/test_pii_native.py compares the two).
 */
#include "_hs.h"
#include <string.h>

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Str;

static inline Py_UCS4 ch(const Str *s, Py_ssize_t i) { return i < s->n ? PyUnicode_READ(s->kind, s->data, i) : 0; }

static inline int is_han(Py_UCS4 c) { return c >= 0x4E00 && c <= 0x9FFF; }
static inline int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(Py_UCS4 c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
/* 一二三四五六七八九十 */
static inline int is_cn_digit(Py_UCS4 c) {
    return c == 0x4E00 || c == 0x4E8C || c == 0x4E09 || c == 0x56DB || c == 0x4E94 || c == 0x516D || c == 0x4E03
           || c == 0x516B || c == 0x4E5D || c == 0x5341;
}
/* _NUM: 0-9 一二三四五六七八九十 百千零〇 */
static inline int is_num(Py_UCS4 c) {
    return is_digit(c) || is_cn_digit(c) || c == 0x767E || c == 0x5343 || c == 0x96F6 || c == 0x3007;
}

/* does text[p:] start with the UTF-32 word ``w`` (n characters)? */
static int at_word(const Str *s, Py_ssize_t p, const Py_UCS4 *w, int n) {
    if (p + n > s->n) return 0;
    for (int i = 0; i < n; i++)
        if (ch(s, p + i) != w[i]) return 0;
    return 1;
}

typedef struct {
    Py_UCS4 cp[4];
    int n;
} Word;

/* the first of ``words`` (in their order) at ``p``: its end, or -1 */
static Py_ssize_t alt(const Str *s, Py_ssize_t p, const Word *words, int n) {
    for (int i = 0; i < n; i++)
        if (at_word(s, p, words[i].cp, words[i].n)) return p + words[i].n;
    return -1;
}

#define W1(a) {{a}, 1}
#define W2(a, b) {{a, b}, 2}
#define W3(a, b, c) {{a, b, c}, 3}

/* 街道|镇|乡 */
static const Word TOWN[] = {W2(0x8857, 0x9053), W1(0x9547), W1(0x4E61)};
/* 村|社区|嘎查 */
static const Word VILLAGE[] = {W1(0x6751), W2(0x793E, 0x533A), W2(0x560E, 0x67E5)};
/* 开发区|工业园|产业园|科技园|园区 */
static const Word PARK[] = {W3(0x5F00, 0x53D1, 0x533A), W3(0x5DE5, 0x4E1A, 0x56ED), W3(0x4EA7, 0x4E1A, 0x56ED),
                            W3(0x79D1, 0x6280, 0x56ED), W2(0x56ED, 0x533A)};
/* 大道|大街|路|街|巷|弄|胡同|道|里 */
static const Word ROAD[] = {W2(0x5927, 0x9053), W2(0x5927, 0x8857), W1(0x8DEF), W1(0x8857), W1(0x5DF7),
                            W1(0x5F04), W2(0x80E1, 0x540C), W1(0x9053), W1(0x91CC)};
/* 号|弄|巷 */
static const Word NUMBERED[] = {W1(0x53F7), W1(0x5F04), W1(0x5DF7)};
/* 小区|花园|公寓|大厦|广场|中心|大楼|苑|园|城|府|庭|新村|家园|院|寓|楼|座|里 */
static const Word ESTATE[] = {W2(0x5C0F, 0x533A), W2(0x82B1, 0x56ED), W2(0x516C, 0x5BD3), W2(0x5927, 0x53A6),
                              W2(0x5E7F, 0x573A), W2(0x4E2D, 0x5FC3), W2(0x5927, 0x697C), W1(0x82D1),
                              W1(0x56ED),         W1(0x57CE),         W1(0x5E9C),         W1(0x5EAD),
                              W2(0x65B0, 0x6751), W2(0x5BB6, 0x56ED), W1(0x9662),         W1(0x5BD3),
                              W1(0x697C),         W1(0x5EA7),         W1(0x91CC)};
/* 号楼|栋|幢|座|楼|号院|区 */
static const Word BUILDING[] = {W2(0x53F7, 0x697C), W1(0x680B), W1(0x5E62), W1(0x5EA7),
                                W1(0x697C),         W2(0x53F7, 0x9662), W1(0x533A)};
/* 层|楼 */
static const Word FLOOR[] = {W1(0x5C42), W1(0x697C)};
/* 室|房|号|户 */
static const Word ROOM[] = {W1(0x5BA4), W1(0x623F), W1(0x53F7), W1(0x6237)};
static const Word UNIT[] = {W2(0x5355, 0x5143)};  /* 单元 */
static const Word HAO[] = {W1(0x53F7)};           /* 号 */
static const Word YUAN[] = {W1(0x9662)};          /* 院 */
static const Word ZU[] = {W1(0x7EC4)};            /* 组 */
static const Word DUAN[] = {W1(0x6BB5)};          /* 段 */
#define N(a) ((int)(sizeof(a) / sizeof(a[0])))

typedef int (*Class)(Py_UCS4);
static int c_han(Py_UCS4 c) { return is_han(c); }
static int c_han_digit(Py_UCS4 c) { return is_han(c) || is_digit(c); }
static int c_han_alnum(Py_UCS4 c) { return is_han(c) || is_digit(c) || is_alpha(c); }
static int c_alnum(Py_UCS4 c) { return is_digit(c) || is_alpha(c); }
static int c_num(Py_UCS4 c) { return is_num(c); }
static int c_digit(Py_UCS4 c) { return is_digit(c); }
static int c_alnum_dash(Py_UCS4 c) { return is_digit(c) || is_alpha(c) || c == '-'; }

/* [class]{1,max}? then one of ``words``: the lazy run, shortest first */
static Py_ssize_t lazy_then(const Str *s, Py_ssize_t p, Class cls, int max, const Word *words, int n) {
    for (int k = 1; k <= max; k++) {
        if (!cls(ch(s, p + k - 1)) || p + k > s->n) return -1;
        Py_ssize_t e = alt(s, p + k, words, n);
        if (e >= 0) return e;
    }
    return -1;
}

/* [class]+ then one of ``words``: the greedy run, longest first */
static Py_ssize_t greedy_then(const Str *s, Py_ssize_t p, Class cls, const Word *words, int n) {
    Py_ssize_t e = p;
    while (e < s->n && cls(ch(s, e))) e++;
    for (Py_ssize_t k = e; k > p; k--) {
        Py_ssize_t r = alt(s, k, words, n);
        if (r >= 0) return r;
    }
    return -1;
}

/* (?:[一二三四五六七八九十]段)? */
static Py_ssize_t section(const Str *s, Py_ssize_t p) {
    if (is_cn_digit(ch(s, p)) && alt(s, p + 1, DUAN, 1) >= 0) return p + 2;
    return p;
}

/* the road group: [HAN0-9]{1,8}? ROAD SECTION (?:[NUM]+(?:号|弄|巷))? */
static Py_ssize_t road_group(const Str *s, Py_ssize_t p) {
    for (int k = 1; k <= 8; k++) {
        if (p + k > s->n || !c_han_digit(ch(s, p + k - 1))) return -1;
        Py_ssize_t r = alt(s, p + k, ROAD, N(ROAD));
        if (r < 0) continue;
        r = section(s, r);
        Py_ssize_t e = greedy_then(s, r, c_num, NUMBERED, N(NUMBERED));
        return e >= 0 ? e : r;
    }
    return -1;
}

/* DETAIL.match(text, p).end() */
static Py_ssize_t detail(const Str *s, Py_ssize_t p) {
    Py_ssize_t e;
    if ((e = lazy_then(s, p, c_han, 8, TOWN, N(TOWN))) >= 0) p = e;
    if ((e = lazy_then(s, p, c_han, 8, VILLAGE, N(VILLAGE))) >= 0) {
        p = e;
        if ((e = greedy_then(s, p, c_num, ZU, 1)) >= 0) p = e;
    }
    if ((e = lazy_then(s, p, c_han, 8, PARK, N(PARK))) >= 0) p = e;
    if ((e = road_group(s, p)) >= 0) p = e;
    if ((e = greedy_then(s, p, c_num, HAO, 1)) >= 0) {
        p = e;
        if (alt(s, p, YUAN, 1) >= 0) p += 1;
    }
    if ((e = lazy_then(s, p, c_han_alnum, 12, ESTATE, N(ESTATE))) >= 0) p = e;
    if ((e = greedy_then(s, p, c_alnum, BUILDING, N(BUILDING))) >= 0) p = e;
    if ((e = greedy_then(s, p, c_num, UNIT, 1)) >= 0) p = e; /* [0-9NUM]+ is [NUM]+ */
    if ((e = greedy_then(s, p, c_digit, FLOOR, N(FLOOR))) >= 0) p = e;
    if ((e = greedy_then(s, p, c_alnum_dash, ROOM, N(ROOM))) >= 0) p = e;
    return p;
}

/* ROAD_NUMBER.search(text, lo, hi): ({ROAD}){SECTION}[NUM]+号 within [lo, hi); the end of
 * group 1, or -1 */
static Py_ssize_t road_number(const Str *s, Py_ssize_t lo, Py_ssize_t hi) {
    Str w = *s;
    w.n = hi; /* the text ends at hi for this search */
    for (Py_ssize_t p = lo; p < hi; p++) {
        for (int i = 0; i < N(ROAD); i++) { /* each alternative in turn */
            if (!at_word(&w, p, ROAD[i].cp, ROAD[i].n)) continue;
            Py_ssize_t r = p + ROAD[i].n, q = section(&w, r);
            if (greedy_then(&w, q, c_num, HAO, 1) >= 0) return r;  /* with the section */
            if (q != r && greedy_then(&w, r, c_num, HAO, 1) >= 0) return r;  /* without */
        }
    }
    return -1;
}

/* 住在|住址|地址|位于|寄到|送到|发到|搬到|寄往|送往|来自|收货|就在|是|在|到|于|址|至|往|从 */
static const Word ROAD_START[] = {
    W2(0x4F4F, 0x5728), W2(0x4F4F, 0x5740), W2(0x5730, 0x5740), W2(0x4F4D, 0x4E8E), W2(0x5BC4, 0x5230),
    W2(0x9001, 0x5230), W2(0x53D1, 0x5230), W2(0x642C, 0x5230), W2(0x5BC4, 0x5F80), W2(0x9001, 0x5F80),
    W2(0x6765, 0x81EA), W2(0x6536, 0x8D27), W2(0x5C31, 0x5728), W1(0x662F),         W1(0x5728),
    W1(0x5230),         W1(0x4E8E),         W1(0x5740),         W1(0x81F3),         W1(0x5F80),
    W1(0x4ECE),
};

/* `_road_start`: where the road name ending at ``road_end`` (its 路/街 included) starts */
static Py_ssize_t road_start(const Str *s, Py_ssize_t road_end) {
    Py_ssize_t i = road_end - 1, lo = road_end - 9 > 0 ? road_end - 9 : 0;
    while (i > lo && is_han(ch(s, i - 1))) i--;
    /* the last match of ROAD_START in head = text[i:road_end-1] that ends before its end */
    Str head = *s;
    head.n = road_end - 1;
    Py_ssize_t cut = 0, p = i;
    while (p < head.n) {
        Py_ssize_t e = alt(&head, p, ROAD_START, N(ROAD_START));
        if (e < 0) {
            p++;
            continue;
        }
        if (e < head.n) cut = e - i;
        p = e;
    }
    Py_ssize_t start = i + cut;
    return start > road_end - 7 ? start : road_end - 7;
}

/* 街道|镇|乡|村|社区|路|街|大道|巷|弄|胡同|小区|花园|公寓|大厦 anywhere in [a, b) */
static const Word STRONG[] = {W2(0x8857, 0x9053), W1(0x9547), W1(0x4E61), W1(0x6751), W2(0x793E, 0x533A),
                              W1(0x8DEF),         W1(0x8857), W2(0x5927, 0x9053), W1(0x5DF7), W1(0x5F04),
                              W2(0x80E1, 0x540C), W2(0x5C0F, 0x533A), W2(0x82B1, 0x56ED), W2(0x516C, 0x5BD3),
                              W2(0x5927, 0x53A6)};

static int strong_detail(const Str *s, Py_ssize_t a, Py_ssize_t b) {
    Str w = *s;
    w.n = b;
    for (Py_ssize_t p = a; p < b; p++)
        if (alt(&w, p, STRONG, N(STRONG)) >= 0) return 1;
    return 0;
}

static int has_number(const Str *s, Py_ssize_t a, Py_ssize_t b) {
    for (Py_ssize_t p = a; p < b; p++)
        if (is_digit(ch(s, p)) || is_cn_digit(ch(s, p))) return 1;
    return 0;
}

/* ---- the finder -------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    hs_database_t *anchors, *divisions;
    hs_scratch_t *scratch; /* for both databases */
    int *name_chars;       /* per division id (from 2): the name's length in characters */
    int *name_level;
    int n_names;
} Finder;

typedef struct {
    Py_ssize_t start, end;
    int level;
} Span;

static int cmp_span(const void *pa, const void *pb) {
    const Span *a = pa, *b = pb;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    return (a->end < b->end) - (a->end > b->end);
}

typedef struct {
    Py_ssize_t start, end;
    double score;
} Found;

typedef struct {
    Found *items;
    Py_ssize_t n, cap;
} Founds;

static int push(Founds *f, Py_ssize_t s, Py_ssize_t e, double score) {
    if (f->n == f->cap) {
        Py_ssize_t cap = f->cap * 2 + 16;
        Found *items = PyMem_Realloc(f->items, (size_t)cap * sizeof *items);
        if (!items) return -1;
        f->items = items;
        f->cap = cap;
    }
    f->items[f->n++] = (Found){s, e, score};
    return 0;
}

/* find(text, data) -> list[(start, end, score)]: ``find_chinese_addresses`` */
static PyObject *Finder_find(Finder *self, PyObject *args) {
    PyObject *text;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &buf)) return NULL;
    Str s = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    HsHits anchors = {0}, divs = {0};
    Span *spans = NULL;
    uint8_t *covered = NULL;
    Founds found = {0};
    PyObject *result = NULL;
    if (hs_collect_all(self->anchors, self->scratch, &buf, &anchors) < 0
        || hs_collect_all(self->divisions, self->scratch, &buf, &divs) < 0)
        goto done;
    if (!anchors.n && !divs.n) {
        result = PyList_New(0);
        goto done;
    }
    CharCounter chars = {buf.buf, 0, 0};
#define CHAR_AT(b) char_of(&chars, (Py_ssize_t)(b))
    /* division names, longest first at a place, none overlapping; chained when adjacent */
    spans = PyMem_Malloc(((size_t)divs.n + 1) * sizeof *spans);
    if (!spans) goto nomem;
    Py_ssize_t ns = 0;
    for (size_t k = 0; k < divs.n; k++) {
        int id = (int)divs.items[k].id - 2;
        if (id < 0 || id >= self->n_names) continue;
        Py_ssize_t end = CHAR_AT(divs.items[k].end);
        spans[ns++] = (Span){end - self->name_chars[id], end, self->name_level[id]};
    }
    qsort(spans, (size_t)ns, sizeof *spans, cmp_span);
    Py_ssize_t kept = 0;
    for (Py_ssize_t k = 0; k < ns; k++)
        if (kept == 0 || spans[k].start >= spans[kept - 1].end) spans[kept++] = spans[k];
    Py_ssize_t k = 0;
    while (k < kept) {
        Py_ssize_t cs = spans[k].start, ce = spans[k].end;
        int levels = 1;
        while (k + 1 < kept && spans[k + 1].start == ce) {
            ce = spans[++k].end;
            levels++;
        }
        k++;
        if (ce < s.n && levels == 1) {
            Py_UCS4 c = ch(&s, ce); /* 市省区县 */
            if (c == 0x5E02 || c == 0x7701 || c == 0x533A || c == 0x53BF) continue;
        }
        Py_ssize_t de = detail(&s, ce);
        int number = has_number(&s, ce, de);
        int strong = strong_detail(&s, ce, de);
        if (de > ce + 1 && (number || (levels >= 2 && strong))) {
            if (push(&found, cs, de, number ? 0.9 : 0.75) < 0) goto nomem;
        } else if (levels >= 3) {
            if (push(&found, cs, ce, 0.6) < 0) goto nomem;
        }
    }
    if (anchors.n) {
        covered = PyMem_Calloc((size_t)s.n + 1, 1);
        if (!covered) goto nomem;
        for (Py_ssize_t f = 0; f < found.n; f++)
            memset(covered + found.items[f].start, 1, (size_t)(found.items[f].end - found.items[f].start));
        for (size_t a = 0; a < anchors.n; a++) {
            Py_ssize_t end = CHAR_AT(anchors.items[a].end);
            if (covered[end - 1]) continue;
            Py_ssize_t road_end = road_number(&s, end - 12 > 0 ? end - 12 : 0, end);
            if (road_end < 0) continue;
            Py_ssize_t start = road_start(&s, road_end);
            Py_ssize_t stop = detail(&s, start);
            if (stop < end) stop = end;
            if (stop - start >= 4) {
                if (push(&found, start, stop, 0.8) < 0) goto nomem;
                memset(covered + start, 1, (size_t)(stop - start));
            }
        }
    }
#undef CHAR_AT
    result = PyList_New(found.n);
    if (!result) goto done;
    for (Py_ssize_t f = 0; f < found.n; f++) {
        PyObject *t = Py_BuildValue("(nnd)", found.items[f].start, found.items[f].end, found.items[f].score);
        if (!t) {
            Py_CLEAR(result);
            goto done;
        }
        PyList_SET_ITEM(result, f, t);
    }
    goto done;
nomem:
    PyErr_NoMemory();
done:
    PyMem_Free(anchors.items);
    PyMem_Free(divs.items);
    PyMem_Free(spans);
    PyMem_Free(covered);
    PyMem_Free(found.items);
    PyBuffer_Release(&buf);
    return result;
}

/* ---- construction ------------------------------------------------------------------ */

/* Finder(anchor_expressions, anchor_flags, names, levels, anchors_db=None, divisions_db=None):
 * the anchors are regular expressions (ids 0, 1 ...), the division names literals (ids
 * from 2, in the order given), with their levels. */
static int Finder_init(Finder *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"anchor_expressions", "anchor_flags", "names", "levels", "anchors_db", "divisions_db",
                             NULL};
    PyObject *aexprs, *aflags, *names, *levels, *adb = Py_None, *ddb = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO|OO", kwlist, &aexprs, &aflags, &names, &levels, &adb, &ddb))
        return -1;
    if (self->anchors) {
        PyErr_SetString(PyExc_RuntimeError, "Finder is already initialised");
        return -1;
    }
    PyObject *nf = PySequence_Fast(names, "names must be a sequence of str");
    PyObject *lf = nf ? PySequence_Fast(levels, "levels must be a sequence of int") : NULL;
    PyObject *encoded = NULL;
    int rc = -1;
    if (!lf) goto done;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(nf);
    if (PySequence_Fast_GET_SIZE(lf) != n) {
        PyErr_SetString(PyExc_ValueError, "names and levels must be as long as each other");
        goto done;
    }
    self->name_chars = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int));
    self->name_level = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int));
    encoded = PyList_New(n);
    if (!self->name_chars || !self->name_level || !encoded) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *name = PySequence_Fast_GET_ITEM(nf, i);
        if (!PyUnicode_Check(name)) {
            PyErr_SetString(PyExc_TypeError, "names must be str");
            goto done;
        }
        self->name_chars[i] = (int)PyUnicode_GET_LENGTH(name);
        self->name_level[i] = (int)PyLong_AsLong(PySequence_Fast_GET_ITEM(lf, i));
        if (PyErr_Occurred()) goto done;
        PyObject *b = PyUnicode_AsUTF8String(name);
        if (!b) goto done;
        PyList_SET_ITEM(encoded, i, b);
    }
    self->n_names = (int)n;
    if (hs_build_from(&self->anchors, adb, aexprs, aflags, 0, 0) < 0) goto done;
    if (hs_build_from(&self->divisions, ddb, encoded, NULL, 2, 1) < 0) goto done;
    if (hs_alloc_scratch(self->anchors, &self->scratch) != HS_SUCCESS
        || hs_alloc_scratch(self->divisions, &self->scratch) != HS_SUCCESS) {
        PyErr_NoMemory();
        goto done;
    }
    rc = 0;
done:
    Py_XDECREF(nf);
    Py_XDECREF(lf);
    Py_XDECREF(encoded);
    return rc;
}

static PyObject *Finder_serialize(Finder *self, PyObject *unused) {
    PyObject *a = hs_serialized(self->anchors), *d = a ? hs_serialized(self->divisions) : NULL;
    PyObject *out = d ? PyTuple_Pack(2, a, d) : NULL;
    Py_XDECREF(a);
    Py_XDECREF(d);
    return out;
}

static void Finder_dealloc(Finder *self) {
    if (self->scratch) hs_free_scratch(self->scratch);
    if (self->anchors) hs_free_database(self->anchors);
    if (self->divisions) hs_free_database(self->divisions);
    PyMem_Free(self->name_chars);
    PyMem_Free(self->name_level);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Finder_methods[] = {
    {"find", (PyCFunction)Finder_find, METH_VARARGS,
     "find(text: str, data: bytes) -> list[tuple[int, int, float]]\n\n"
     "The Chinese addresses in the normalised text (data: its UTF-8)."},
    {"serialize", (PyCFunction)Finder_serialize, METH_NOARGS,
     "(anchors, divisions): the two databases, for anchors_db= and divisions_db=."},
    {NULL},
};

static PyTypeObject FinderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "aisec.detect.pii._address.Finder",
    .tp_basicsize = sizeof(Finder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "find_chinese_addresses of aisec.detect.pii.address, in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Finder_init,
    .tp_dealloc = (destructor)Finder_dealloc,
    .tp_methods = Finder_methods,
};

/* ---- merging ----------------------------------------------------------------------- */

typedef struct {
    Py_ssize_t start, end, index;
    double score;
} Merged;

static int cmp_merged(const void *pa, const void *pb) {
    const Merged *a = pa, *b = pb;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->end != b->end) return a->end > b->end ? -1 : 1; /* the longer first */
    return (a->index > b->index) - (a->index < b->index);  /* then as given (a stable sort) */
}

/* first_spans(spans, finding) -> list[Finding]: `address.first_spans_python` in C. From
 * (start, end, score) spans: in text order, the longer first where two start together,
 * each one that starts at or after the end of the one kept before it, as findings
 * (`finding_spec`) with its score. */
static PyObject *first_spans(PyObject *module, PyObject *args) {
    PyObject *seq, *finding;
    if (!PyArg_ParseTuple(args, "OO", &seq, &finding)) return NULL;
    PyTypeObject *ftype;
    PyObject *reporter;
    if (finding_spec(finding, &ftype, &reporter) < 0) return NULL;
    PyObject *fast = PySequence_Fast(seq, "spans must be a sequence");
    if (!fast) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject *result = NULL;
    Merged *m = PyMem_Malloc((size_t)(n ? n : 1) * sizeof *m);
    if (!m) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(fast, i), "nnd", &m[i].start, &m[i].end, &m[i].score)) goto done;
        m[i].index = i;
    }
    qsort(m, (size_t)n, sizeof *m, cmp_merged);
    result = PyList_New(0);
    if (!result) goto done;
    Py_ssize_t last_end = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (m[i].start < last_end) continue;
        PyObject *f = make_finding(ftype, reporter, m[i].start, m[i].end, m[i].score);
        if (!f || PyList_Append(result, f) < 0) {
            Py_XDECREF(f);
            Py_CLEAR(result);
            goto done;
        }
        Py_DECREF(f);
        last_end = m[i].end;
    }
done:
    PyMem_Free(m);
    Py_DECREF(fast);
    return result;
}

static PyMethodDef module_methods[] = {
    {"first_spans", first_spans, METH_VARARGS,
     "first_spans(spans, finding) -> list\n\n"
     "address.first_spans_python in C: the spans that start after the one kept before them,\n"
     "as findings; finding = (Finding class, (kind, detector, version))."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_address",
    .m_doc = "Chinese addresses in C (see _address.c).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__address(void) { return hs_module(&module, &FinderType, "Finder"); }
