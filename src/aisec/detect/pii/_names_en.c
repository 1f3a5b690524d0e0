/*
 * aisec.detect.pii._names_en: `find_english_names` of `aisec.detect.pii.names_en` in C
 * (`PersonNameRecognizer` runs it where it is built).
 *
 * Same steps as the Python: one Hyperscan scan (runs of capitalised words, context
 * phrases, titles, first names) over the UTF-8 bytes, then per run start the exact match
 * of `_SEQ`, the trimming of words in NOT_NAMES and `_score_run` / `_score_single`; per
 * single-token start `_SINGLE_AFTER`, `_is_date_part` and `_score_single`. The regular
 * expressions are reproduced as Python's `re` runs them (leftmost, greedy, backtracking,
 * look-arounds; see `seq_match`), with Python's Unicode semantics for ``\w``, ``\d``,
 * ``str.isalnum`` and ``str.lower`` (CPython's own functions). Scores are computed in
 * double in the same order as the Python, and rounded with Python's ``round``.
 *
 * The word lists and census dicts are the Python module's, passed in. The Python code
 * remains the reference (tests/detect/test_names_en_native.py compares the two, finding
 * for finding, and the two regular expressions alone through `seq_end` / `single_span`
 * with `re`): a change to one needs the same change in the other.
 */
#include "_hs.h"
#include <string.h>

/* ---- pattern ids and context kinds (names_en.py: _RUN, _CONTEXT, _TITLE, ...) ------- */

enum { PID_RUN = 0, PID_CONTEXT = 1, PID_TITLE = 2 };
enum { NO_CONTEXT = 0, STRONG = 1, TITLE = 2 };

/* what a lower-cased word is: in the first-name dict, the last-name dict, NOT_NAMES,
 * AMBIGUOUS_FIRST */
enum { W_FIRST = 1, W_LAST = 2, W_NOT = 4, W_AMBIG = 8 };

/* ---- a set of code-point strings, with flags ----------------------------------------- */

static inline uint64_t hash_step(uint64_t h, Py_UCS4 c) { return (h ^ c) * 0x100000001B3ULL; }
#define HASH_SEED 0xCBF29CE484222325ULL
static inline uint64_t hash_done(uint64_t h) { return h ? h : 1; }

typedef struct {
    uint64_t *hashes; /* 0: empty slot */
    uint32_t *offs, *lens;
    uint8_t *flags;
    Py_UCS4 *pool;
    size_t pool_len, pool_cap, mask, count;
} WordSet;

static int words_init(WordSet *w, size_t expected) {
    size_t size = 64;
    while (size < expected * 2 + 64) size <<= 1;
    w->hashes = PyMem_Calloc(size, sizeof *w->hashes);
    w->offs = PyMem_Calloc(size, sizeof *w->offs);
    w->lens = PyMem_Calloc(size, sizeof *w->lens);
    w->flags = PyMem_Calloc(size, 1);
    w->mask = size - 1;
    w->pool = NULL;
    w->pool_len = w->pool_cap = w->count = 0;
    if (!w->hashes || !w->offs || !w->lens || !w->flags) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void words_free(WordSet *w) {
    PyMem_Free(w->hashes);
    PyMem_Free(w->offs);
    PyMem_Free(w->lens);
    PyMem_Free(w->flags);
    PyMem_Free(w->pool);
    memset(w, 0, sizeof *w);
}

/* the slot of ``cps`` (``len`` code points, hash ``h``): its entry or an empty slot */
static inline size_t words_slot(const WordSet *w, uint64_t h, const Py_UCS4 *cps, size_t len) {
    size_t s = (size_t)(h >> 7) & w->mask;
    while (w->hashes[s]) {
        if (w->hashes[s] == h && w->lens[s] == len && memcmp(w->pool + w->offs[s], cps, len * sizeof *cps) == 0)
            return s;
        s = (s + 1) & w->mask;
    }
    return s;
}

static int words_add(WordSet *w, PyObject *word, uint8_t flag) {
    if (!PyUnicode_Check(word)) {
        PyErr_SetString(PyExc_TypeError, "word lists must hold str");
        return -1;
    }
    size_t len = (size_t)PyUnicode_GET_LENGTH(word);
    if (w->count * 2 + 2 > w->mask) {
        PyErr_SetString(PyExc_ValueError, "more words than expected");
        return -1;
    }
    if (w->pool_len + len > w->pool_cap) {
        size_t cap = w->pool_cap ? w->pool_cap : 4096;
        while (cap < w->pool_len + len) cap *= 2;
        Py_UCS4 *pool = PyMem_Realloc(w->pool, cap * sizeof *pool);
        if (!pool) {
            PyErr_NoMemory();
            return -1;
        }
        w->pool = pool;
        w->pool_cap = cap;
    }
    Py_UCS4 *dst = w->pool + w->pool_len;
    uint64_t h = HASH_SEED;
    for (size_t i = 0; i < len; i++) {
        dst[i] = PyUnicode_READ_CHAR(word, (Py_ssize_t)i);
        h = hash_step(h, dst[i]);
    }
    h = hash_done(h);
    size_t s = words_slot(w, h, dst, len);
    if (!w->hashes[s]) {
        w->hashes[s] = h;
        w->offs[s] = (uint32_t)w->pool_len;
        w->lens[s] = (uint32_t)len;
        w->pool_len += len;
        w->count++;
    }
    w->flags[s] |= flag;
    return 0;
}

/* every str of the iterable ``obj`` (a dict: its keys) into ``w`` with ``flag`` */
static int words_add_all(WordSet *w, PyObject *obj, uint8_t flag) {
    PyObject *it = PyObject_GetIter(obj);
    if (!it) return -1;
    PyObject *item;
    while ((item = PyIter_Next(it))) {
        int rc = words_add(w, item, flag);
        Py_DECREF(item);
        if (rc < 0) {
            Py_DECREF(it);
            return -1;
        }
    }
    Py_DECREF(it);
    return PyErr_Occurred() ? -1 : 0;
}

static inline uint8_t words_get(const WordSet *w, uint64_t h, const Py_UCS4 *cps, size_t len) {
    size_t s = words_slot(w, h, cps, len);
    return w->hashes[s] ? w->flags[s] : 0;
}

/* ---- the finder ---------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    hs_database_t *db;
    hs_scratch_t *scratch;
    uint32_t *lengths; /* per pattern id: the first name's length in characters */
    unsigned int n_patterns;
    WordSet words;
    double base_start, base_mid;
    PyObject *lower_name;
} Finder;

typedef struct {
    int kind;
    const void *data;
    Py_ssize_t n;
} Str;

static inline Py_UCS4 ch(const Str *s, Py_ssize_t i) { return PyUnicode_READ(s->kind, s->data, i); }
/* the character at ``i``, or 0 past the end (0 is in none of the classes below) */
static inline Py_UCS4 at(const Str *s, Py_ssize_t i) { return i < s->n ? PyUnicode_READ(s->kind, s->data, i) : 0; }

/* the classes of names_en.py: _UP = A-ZÀ-ÖØ-ÞĀ-Ž, _LO = a-zß-öø-ÿā-ž */
static inline int is_up(Py_UCS4 c) {
    return (c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xDE) || (c >= 0x100 && c <= 0x17D);
}
static inline int is_lo(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0xF6) || (c >= 0xF8 && c <= 0xFF) || (c >= 0x101 && c <= 0x17E);
}
static inline int is_blank(Py_UCS4 c) { return c == ' ' || c == '\t'; }

/* (?![\w@]) at ``i`` */
static inline int ends_word(const Str *s, Py_ssize_t i) {
    if (i >= s->n) return 1;
    Py_UCS4 c = ch(s, i);
    return c != '@' && !re_word(c);
}

static inline Py_ssize_t skip_lo(const Str *s, Py_ssize_t i) {
    while (i < s->n && is_lo(ch(s, i))) i++;
    return i;
}

static inline Py_ssize_t skip_blanks(const Str *s, Py_ssize_t i) {
    while (i < s->n && is_blank(ch(s, i))) i++;
    return i;
}

/* The ends of TOKEN at ``p``, in the order re tries them:
 *   (?:Mc|Mac)?[UP][LO]+(?:-[UP]?[LO]+|['’][UP][LO]+|['’][LO]{2,})?
 * Only the longest run of each [LO]+ / [LO]{2,} is listed: a shorter one leaves a
 * lower-case letter next, where nothing after a TOKEN can match (a blank, '-', a quote
 * or the end of a word are required), so re's backtracking into it always fails.
 * At most 3 prefixes x 5 ends; returns how many. */
static int token_ends(const Str *s, Py_ssize_t p, Py_ssize_t *out) {
    int k = 0;
    for (int option = 0; option < 3; option++) {
        Py_ssize_t q;
        if (option == 0) { /* Mc */
            if (!(at(s, p) == 'M' && at(s, p + 1) == 'c')) continue;
            q = p + 2;
        } else if (option == 1) { /* Mac */
            if (!(at(s, p) == 'M' && at(s, p + 1) == 'a' && at(s, p + 2) == 'c')) continue;
            q = p + 3;
        } else {
            q = p;
        }
        if (!is_up(at(s, q))) continue;
        Py_ssize_t r = skip_lo(s, q + 1);
        if (r == q + 1) continue;
        Py_UCS4 c = at(s, r);
        if (c == '-') {
            if (is_up(at(s, r + 1))) {
                Py_ssize_t t = skip_lo(s, r + 2);
                if (t > r + 2) out[k++] = t;
            }
            Py_ssize_t t = skip_lo(s, r + 1);
            if (t > r + 1) out[k++] = t;
        } else if (c == '\'' || c == 0x2019) {
            if (is_up(at(s, r + 1))) {
                Py_ssize_t t = skip_lo(s, r + 2);
                if (t > r + 2) out[k++] = t;
            }
            Py_ssize_t t = skip_lo(s, r + 1);
            if (t >= r + 3) out[k++] = t;
        }
        out[k++] = r;
    }
    return k;
}

/* the first end of TOKEN at ``p`` followed by (?![\w@]), or -1 */
static Py_ssize_t token_end(const Str *s, Py_ssize_t p) {
    Py_ssize_t ends[16];
    int k = token_ends(s, p, ends);
    for (int i = 0; i < k; i++)
        if (ends_word(s, ends[i])) return ends[i];
    return -1;
}

static const char *const PARTICLES[] = {"van", "von", "de",  "da",  "di",  "del", "della", "der", "den", "la",
                                        "le",  "du",  "dos", "das", "bin", "ibn", "al",    "ter", "ten", "y"};

/* the end of PARTICLE[ \t]+ at ``b``, or -1 (at most one alternative is followed by a
 * blank) */
static Py_ssize_t particle_end(const Str *s, Py_ssize_t b) {
    Py_UCS4 c0 = at(s, b);
    if (c0 != 'v' && c0 != 'd' && c0 != 'l' && c0 != 'b' && c0 != 'i' && c0 != 'a' && c0 != 't' && c0 != 'y') return -1;
    for (size_t k = 0; k < sizeof PARTICLES / sizeof *PARTICLES; k++) {
        const char *w = PARTICLES[k];
        Py_ssize_t i = 0;
        while (w[i] && at(s, b + i) == (Py_UCS4)(unsigned char)w[i]) i++;
        if (!w[i] && is_blank(at(s, b + i))) return skip_blanks(s, b + i);
    }
    return -1;
}

/* The end of one repetition of
 *   [ \t]+(?:[A-Z]\.?[ \t]+)?(?:PARTICLE[ \t]+)*TOKEN
 * at ``q`` whose TOKEN is followed by (?![\w@]) (then what comes after it, more
 * repetitions or the end of the pattern, matches), or -1. The blanks, the initial and the
 * particles match in one way only (what follows each cannot start with what it would give
 * back), so only the TOKEN's ends are tried in turn. */
static Py_ssize_t group_end(const Str *s, Py_ssize_t q) {
    if (!is_blank(at(s, q))) return -1;
    Py_ssize_t b = skip_blanks(s, q);
    Py_UCS4 c = at(s, b);
    if (c >= 'A' && c <= 'Z') { /* an initial: "J. " or "J " */
        Py_ssize_t d = b + 1;
        if (at(s, d) == '.' && is_blank(at(s, d + 1))) b = skip_blanks(s, d + 1);
        else if (is_blank(at(s, d))) b = skip_blanks(s, d);
    }
    for (;;) {
        Py_ssize_t e = particle_end(s, b);
        if (e < 0) break;
        b = e;
    }
    return token_end(s, b);
}

/* _SEQ.match(text, pos).end(), or -1:
 *   (?<![\w.@/])TOKEN(?:GROUP){1,3}(?![\w@])
 * Greedy {1,3}: after the first repetition, each next one is taken when it matches, and
 * the pattern ends wherever they stop. The first TOKEN end (in re's order) that is
 * followed by at least one repetition wins. */
static Py_ssize_t seq_match(const Str *s, Py_ssize_t pos) {
    if (pos > 0) {
        Py_UCS4 c = ch(s, pos - 1);
        if (re_word(c) || c == '.' || c == '@' || c == '/') return -1;
    }
    Py_ssize_t ends[16];
    int k = token_ends(s, pos, ends);
    for (int i = 0; i < k; i++) {
        Py_ssize_t e = group_end(s, ends[i]);
        if (e < 0) continue;
        for (int rep = 1; rep < 3; rep++) {
            Py_ssize_t next = group_end(s, e);
            if (next < 0) break;
            e = next;
        }
        return e;
    }
    return -1;
}

static const char *const FOLLOW[] = {"says",  "said",  "wrote", "told",     "asked", "replied",  "explained",
                                     "added", "is a",  "was a", "was born", "is an", "has been", "had",
                                     "and his ", "and her "};

static inline int starts_with(const Str *s, Py_ssize_t i, const char *w) {
    for (; *w; w++, i++)
        if (at(s, i) != (Py_UCS4)(unsigned char)*w) return 0;
    return 1;
}

/* _STRONG_AFTER.match(text[pos:pos + 20]) (every alternative is shorter than 20) */
static int strong_after(const Str *s, Py_ssize_t pos) {
    Py_UCS4 c = at(s, pos);
    if (c == '\'' || c == 0x2019) return at(s, pos + 1) == 's' && at(s, pos + 2) == ' ';
    Py_ssize_t v;
    if (c == ',') {
        if (at(s, pos + 1) != ' ') return 0;
        Py_UCS4 d = at(s, pos + 2);
        if (starts_with(s, pos + 2, "who") || starts_with(s, pos + 2, "the") || d == 'a' || (d >= '0' && d <= '9'))
            return 1;
        v = pos + 2;
    } else if (c == ' ') {
        v = pos + 1;
    } else {
        return 0;
    }
    for (size_t k = 0; k < sizeof FOLLOW / sizeof *FOLLOW; k++)
        if (starts_with(s, v, FOLLOW[k])) return 1;
    return 0;
}

static int sentence_start(const Str *s, Py_ssize_t start) {
    Py_ssize_t j = start;
    while (j > 0 && is_blank(ch(s, j - 1))) j--;
    if (j == 0) return 1;
    Py_UCS4 c = ch(s, j - 1);
    return c == '.' || c == '!' || c == '?' || c == '\n' || c == '"' || c == 0x201C || c == '(' || c == ':' || c == '>'
           || c == 0xFFFF;
}

/* _DIGITS_BEFORE.search(text, lo, end): \d{1,4}[ \t,]*$ in text[lo:end] */
static int digits_before(const Str *s, Py_ssize_t lo, Py_ssize_t end) {
    Py_ssize_t j = end;
    while (j > lo && (is_blank(ch(s, j - 1)) || ch(s, j - 1) == ',')) j--;
    return j > lo && re_digit(ch(s, j - 1));
}

/* _is_date_part(text, start, end) */
static int is_date_part(const Str *s, Py_ssize_t start, Py_ssize_t end) {
    static const char *const MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (end - start < 3) return 0;
    int month = 0;
    for (size_t k = 0; k < 12 && !month; k++) month = starts_with(s, start, MONTHS[k]);
    if (!month) return 0;
    /* [a-z]*\.?$ up to ``end`` (a token holds no '.' and no newline) */
    for (Py_ssize_t i = start + 3; i < end; i++) {
        Py_UCS4 c = ch(s, i);
        if (c < 'a' || c > 'z') return 0;
    }
    Py_ssize_t lo = start - 8 > 0 ? start - 8 : 0;
    /* `$` also matches before a newline that ends the searched slice */
    if (digits_before(s, lo, start) || (start > lo && ch(s, start - 1) == '\n' && digits_before(s, lo, start - 1)))
        return 1;
    Py_ssize_t j = end;
    while (j < s->n && (is_blank(ch(s, j)) || ch(s, j) == ',')) j++;
    return j < s->n && re_digit(ch(s, j));
}

/* ---- one call ------------------------------------------------------------------------ */

typedef struct {
    Py_ssize_t a, b;     /* the token: text[a:b] */
    size_t loff, llen;   /* its lower case: low[loff:loff + llen] */
    uint64_t hash;       /* ... and that one's hash */
    uint8_t flags;       /* W_* */
    uint8_t ascii;
} Tok;

typedef struct {
    Py_ssize_t start, end;
    double conf;
} Hit;

typedef struct {
    Finder *self;
    PyObject *text;
    Str s;
    /* context, by character offset (sorted) */
    Py_ssize_t *strong, *titled;
    size_t n_strong, n_titled;
    /* tokens of the run being scored, and their lower case */
    Tok *toks;
    size_t n_toks, cap_toks;
    Py_UCS4 *low;
    size_t n_low, cap_low;
    /* the words between two spaces of the record being looked at (a set) */
    Py_ssize_t rec_lo, rec_hi; /* rec_lo < 0: none yet */
    uint64_t *sp_hash;
    Py_ssize_t *sp_off, *sp_len;
    size_t sp_mask, sp_cap;
    /* findings */
    Hit *found;
    size_t n_found, cap_found;
} Call;

static int contains(const Py_ssize_t *sorted, size_t n, Py_ssize_t x) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sorted[mid] < x) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && sorted[lo] == x;
}

static inline int before_kind(const Call *c, Py_ssize_t pos) {
    if (contains(c->titled, c->n_titled, pos)) return TITLE;
    if (contains(c->strong, c->n_strong, pos)) return STRONG;
    return NO_CONTEXT;
}

static int grow(void **items, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return 0;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need) cap2 *= 2;
    void *p = PyMem_Realloc(*items, cap2 * size);
    if (!p) {
        PyErr_NoMemory();
        return -1;
    }
    *items = p;
    *cap = cap2;
    return 0;
}

/* append text[a:b] as a token with its lower case (str.lower()) and what it is */
static int add_token(Call *c, Py_ssize_t a, Py_ssize_t b) {
    if (grow((void **)&c->toks, &c->cap_toks, c->n_toks + 1, sizeof *c->toks) < 0) return -1;
    Tok *t = &c->toks[c->n_toks];
    t->a = a;
    t->b = b;
    t->ascii = 1;
    for (Py_ssize_t i = a; i < b; i++)
        if (ch(&c->s, i) >= 128) {
            t->ascii = 0;
            break;
        }
    uint64_t h = HASH_SEED;
    t->loff = c->n_low;
    if (t->ascii) {
        if (grow((void **)&c->low, &c->cap_low, c->n_low + (size_t)(b - a), sizeof *c->low) < 0) return -1;
        for (Py_ssize_t i = a; i < b; i++) {
            Py_UCS4 x = ch(&c->s, i);
            if (x >= 'A' && x <= 'Z') x += 32;
            c->low[c->n_low++] = x;
            h = hash_step(h, x);
        }
    } else { /* Python's own lower case (one character may become several) */
        PyObject *sub = PyUnicode_Substring(c->text, a, b);
        if (!sub) return -1;
        PyObject *lower = PyObject_CallMethodNoArgs(sub, c->self->lower_name);
        Py_DECREF(sub);
        if (!lower) return -1;
        Py_ssize_t len = PyUnicode_GET_LENGTH(lower);
        if (grow((void **)&c->low, &c->cap_low, c->n_low + (size_t)len, sizeof *c->low) < 0) {
            Py_DECREF(lower);
            return -1;
        }
        for (Py_ssize_t i = 0; i < len; i++) {
            Py_UCS4 x = PyUnicode_READ_CHAR(lower, i);
            c->low[c->n_low++] = x;
            h = hash_step(h, x);
        }
        Py_DECREF(lower);
    }
    t->llen = c->n_low - t->loff;
    t->hash = hash_done(h);
    t->flags = words_get(&c->self->words, t->hash, c->low + t->loff, t->llen);
    c->n_toks++;
    return 0;
}

/* build the set of words between two spaces of the record around ``pos``
 * (`_SpacedWords`: the record is the text between U+FFFF separators) */
static int spaced_build(Call *c, Py_ssize_t pos) {
    const Str *s = &c->s;
    Py_ssize_t lo = pos, hi = pos;
    while (lo > 0 && ch(s, lo - 1) != 0xFFFF) lo--;
    while (hi < s->n && ch(s, hi) != 0xFFFF) hi++;
    c->rec_lo = lo;
    c->rec_hi = hi;
    size_t spaces = 0;
    for (Py_ssize_t i = lo; i < hi; i++) spaces += ch(s, i) == ' ';
    size_t size = 16;
    while (size < spaces * 2 + 16) size <<= 1;
    if (size > c->sp_cap) {
        PyMem_Free(c->sp_hash);
        PyMem_Free(c->sp_off);
        PyMem_Free(c->sp_len);
        c->sp_hash = PyMem_Malloc(size * sizeof *c->sp_hash);
        c->sp_off = PyMem_Malloc(size * sizeof *c->sp_off);
        c->sp_len = PyMem_Malloc(size * sizeof *c->sp_len);
        c->sp_cap = size;
        if (!c->sp_hash || !c->sp_off || !c->sp_len) {
            c->sp_cap = 0;
            c->rec_lo = -1;
            PyErr_NoMemory();
            return -1;
        }
    }
    c->sp_mask = size - 1;
    memset(c->sp_hash, 0, size * sizeof *c->sp_hash);
    /* record.split(" ")[1:-1]: each piece that has a space on both sides */
    Py_ssize_t i = lo;
    while (i < hi && ch(s, i) != ' ') i++;
    while (i < hi) { /* at a space */
        Py_ssize_t a = i + 1, b = a;
        while (b < hi && ch(s, b) != ' ') b++;
        if (b >= hi) break; /* the last piece */
        uint64_t h = HASH_SEED;
        for (Py_ssize_t k = a; k < b; k++) h = hash_step(h, ch(s, k));
        h = hash_done(h);
        size_t slot = (size_t)(h >> 7) & c->sp_mask;
        for (;;) {
            if (!c->sp_hash[slot]) {
                c->sp_hash[slot] = h;
                c->sp_off[slot] = a;
                c->sp_len[slot] = b - a;
                break;
            }
            if (c->sp_hash[slot] == h && c->sp_len[slot] == b - a) {
                Py_ssize_t k = 0;
                while (k < b - a && ch(s, c->sp_off[slot] + k) == ch(s, a + k)) k++;
                if (k == b - a) break; /* there already */
            }
            slot = (slot + 1) & c->sp_mask;
        }
        i = b;
    }
    return 0;
}

/* whether the lower case of token ``t`` is one of the record's spaced words */
static int spaced_has(const Call *c, const Tok *t) {
    const Py_UCS4 *w = c->low + t->loff;
    size_t slot = (size_t)(t->hash >> 7) & c->sp_mask;
    while (c->sp_hash[slot]) {
        if (c->sp_hash[slot] == t->hash && (size_t)c->sp_len[slot] == t->llen) {
            size_t k = 0;
            while (k < t->llen && ch(&c->s, c->sp_off[slot] + (Py_ssize_t)k) == w[k]) k++;
            if (k == t->llen) return 1;
        }
        slot = (slot + 1) & c->sp_mask;
    }
    return 0;
}

/* _score_single(low, before, text[after:after + 20]) */
static double score_single(const Call *c, uint8_t flags, int before, Py_ssize_t after) {
    if (flags & W_NOT) return 0.0;
    double s = 0.0;
    if (flags & W_FIRST) s += (flags & W_AMBIG) ? 0.15 : 0.5;
    else if (flags & W_LAST) s += 0.1;
    if (before == TITLE) s += 0.6;
    else if (before == STRONG) s += 0.55;
    if (strong_after(&c->s, after)) s += 0.2;
    return s;
}

/* _score_run for tokens toks[lo:hi] (two or more); -1.0 with an exception set on failure */
static double score_run(Call *c, size_t lo, size_t hi, int before, int at_start, Py_ssize_t after, Py_ssize_t start) {
    const Tok *t = c->toks;
    int any_first = 0, any_last = 0, ascii = 1;
    for (size_t i = lo; i < hi; i++) {
        if (t[i].flags & W_NOT) return 0.0;
        any_first |= (t[i].flags & W_FIRST) != 0;
        any_last |= (t[i].flags & W_LAST) != 0;
        ascii &= t[i].ascii;
    }
    double s = at_start ? c->self->base_start : c->self->base_mid;
    int first_known = (t[lo].flags & W_FIRST) != 0;
    if (first_known) s += (t[lo].flags & W_AMBIG) ? 0.2 : 0.45;
    if (hi - lo > 1 && (t[hi - 1].flags & W_LAST)) s += 0.3;
    if (!ascii && !any_first && !any_last) s += 0.2;
    double context = before == TITLE ? 0.5 : before == STRONG ? 0.4 : 0.0;
    double follow = strong_after(&c->s, after) ? 0.25 : 0.0;
    if (!first_known) {
        if (s + context + follow < 0.5 - 1e-9) return 0.0;
        if (c->rec_lo < 0 || start < c->rec_lo || start >= c->rec_hi) {
            if (spaced_build(c, start) < 0) return -1.0;
        }
        long used = 0;
        for (size_t i = lo; i < hi; i++) used += spaced_has(c, &t[i]);
        s -= 0.3 * (double)used;
        s -= 0.2 * (double)(hi - lo > 2);
    }
    if (context != 0.0) s += context;
    if (follow != 0.0) s += follow;
    return s;
}

/* round(x, 3), as Python does it (remembered: scores take few values) */
static int add_hit(Call *c, Py_ssize_t start, Py_ssize_t end, double conf) {
    if (grow((void **)&c->found, &c->cap_found, c->n_found + 1, sizeof *c->found) < 0) return -1;
    c->found[c->n_found++] = (Hit){start, end, conf};
    return 0;
}

/* _score_match(text, start, end, ...): appends a finding or not; -1 on failure */
static int score_match(Call *c, Py_ssize_t start, Py_ssize_t end) {
    const Str *s = &c->s;
    c->n_toks = 0;
    c->n_low = 0;
    /* _tokens: the run split at its blanks */
    Py_ssize_t i = start;
    while (i < end) {
        while (i < end && is_blank(ch(s, i))) i++;
        if (i >= end) break;
        Py_ssize_t j = i;
        while (j < end && !is_blank(ch(s, j))) j++;
        if (add_token(c, i, j) < 0) return -1;
        i = j;
    }
    /* trim words that are not names at both ends */
    size_t lo = 0, hi = c->n_toks;
    while (lo < hi && (c->toks[lo].flags & W_NOT)) lo++;
    while (hi > lo && (c->toks[hi - 1].flags & W_NOT)) hi--;
    if (lo == hi) return 0;
    start = c->toks[lo].a;
    end = c->toks[hi - 1].b;
    double score;
    if (hi - lo == 1) {
        score = score_single(c, c->toks[lo].flags, before_kind(c, start), end);
    } else {
        score = score_run(c, lo, hi, before_kind(c, start), sentence_start(s, start), end, start);
        if (score == -1.0 && PyErr_Occurred()) return -1;
    }
    if (score < 0.5) return 0;
    double x = 0.4 + 0.5 * score, conf;
    if (round3(x < 0.95 ? x : 0.95, &conf) < 0) return -1;
    return add_hit(c, start, end, conf);
}

static int cmp_ssize(const void *pa, const void *pb) {
    Py_ssize_t a = *(const Py_ssize_t *)pa, b = *(const Py_ssize_t *)pb;
    return (a > b) - (a < b);
}

static int cmp_hit(const void *pa, const void *pb) {
    const Hit *a = pa, *b = pb;
    if (a->start != b->start) return a->start < b->start ? -1 : 1;
    if (a->end != b->end) return a->end < b->end ? -1 : 1;
    return (a->conf > b->conf) - (a->conf < b->conf);
}

/* byte offsets to character offsets, in place: the character that starts at or holds
 * each byte (`ScanContext.char_offsets`). ``lists``: ``m`` lists of byte offsets, each
 * sorted and each offset at most ``nb``, converted in one pass over the bytes. */
static void to_chars(const uint8_t *d, Py_ssize_t nb, Py_ssize_t n_chars, Py_ssize_t **lists, const size_t *lens,
                     int m) {
    size_t next[8] = {0};
    Py_ssize_t p = 0, leads = 0; /* leads: lead bytes in d[:p] */
    for (;;) {
        int j = -1;
        for (int i = 0; i < m; i++)
            if (next[i] < lens[i] && (j < 0 || lists[i][next[i]] < lists[j][next[j]])) j = i;
        if (j < 0) return;
        Py_ssize_t *v = &lists[j][next[j]++], b = *v;
        if (b >= nb) {
            *v = n_chars;
            continue;
        }
        if (b + 1 > p) {
            leads += count_leads(d, p, b + 1);
            p = b + 1;
        }
        *v = leads - 1;
    }
}

/* sort and drop repeats; returns the new count */
static size_t sort_unique(Py_ssize_t *v, size_t n) {
    if (!n) return 0;
    size_t i = 1;
    while (i < n && v[i - 1] <= v[i]) i++;
    if (i < n) qsort(v, n, sizeof *v, cmp_ssize);
    size_t k = 1;
    for (i = 1; i < n; i++)
        if (v[i] != v[k - 1]) v[k++] = v[i];
    return k;
}

/* names(text, data) -> list[(start, end, confidence)]: ``list(find_english_names(ctx))``
 * for the normalised ``text`` and its UTF-8 ``data`` */
static PyObject *Finder_names(Finder *self, PyObject *args) {
    PyObject *text, *finding = Py_None;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "Uy*|O", &text, &buf, &finding)) return NULL;
    PyTypeObject *ftype = NULL;
    PyObject *reporter = NULL;
    if (finding != Py_None && finding_spec(finding, &ftype, &reporter) < 0) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    Call c = {0};
    c.self = self;
    c.text = text;
    c.s = (Str){PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    c.rec_lo = -1;
    const Str *s = &c.s;
    Py_ssize_t n = s->n, nb = buf.len;
    const uint8_t *d = buf.buf;
    HsHits hits = {0};
    Py_ssize_t *runs = NULL, *singles = NULL;
    PyObject *result = NULL;
    int upper = 0;
    for (Py_ssize_t b = 0; b < nb && !upper; b++) upper = d[b] >= 'A' && d[b] <= 'Z';
    if (!upper) { /* _UPPER.search(text) is None */
        result = PyList_New(0);
        goto done;
    }
    if (hs_collect_all(self->db, self->scratch, &buf, &hits) < 0) goto done;
    size_t n_runs = 0, n_singles = 0, n_strong = 0, n_titled = 0;
    for (size_t k = 0; k < hits.n; k++) {
        unsigned int id = hits.items[k].id;
        n_runs += id == PID_RUN;
        n_strong += id == PID_CONTEXT;
        n_titled += id == PID_TITLE;
    }
    runs = PyMem_Malloc((n_runs + 1) * sizeof *runs);
    singles = PyMem_Malloc((hits.n + 1) * sizeof *singles);
    c.strong = PyMem_Malloc((n_strong + 1) * sizeof *c.strong);
    c.titled = PyMem_Malloc((n_titled + 1) * sizeof *c.titled);
    if (!runs || !singles || !c.strong || !c.titled) goto nomem;
    n_runs = 0;
    for (size_t k = 0; k < hits.n; k++) {
        const HsHit *h = &hits.items[k];
        Py_ssize_t e = (Py_ssize_t)h->end;
        if (h->id > PID_TITLE) { /* a first name: its right boundary */
            if (e == nb || !((d[e] >= 97 && d[e] <= 122) || d[e] >= 0x80)) {
                if (h->id >= self->n_patterns) continue;
                singles[n_singles++] = e - (Py_ssize_t)self->lengths[h->id];
            }
        } else if (h->id == PID_RUN) {
            runs[n_runs++] = (Py_ssize_t)h->start;
        } else if (h->id == PID_CONTEXT) {
            c.strong[c.n_strong++] = e - 1;
            singles[n_singles++] = e - 1;
        } else {
            c.titled[c.n_titled++] = e - 1;
            singles[n_singles++] = e - 1;
        }
    }
    n_runs = sort_unique(runs, n_runs);
    n_singles = sort_unique(singles, n_singles);
    /* byte offsets -> character offsets */
    c.n_strong = sort_unique(c.strong, c.n_strong);
    c.n_titled = sort_unique(c.titled, c.n_titled);
    if (nb != n) { /* (each list stays sorted) */
        Py_ssize_t *lists[4] = {runs, singles, c.strong, c.titled};
        size_t lens[4] = {n_runs, n_singles, c.n_strong, c.n_titled};
        to_chars(d, nb, n, lists, lens, 4);
    }
    /* runs */
    Py_ssize_t last_end = -1;
    for (size_t k = 0; k < n_runs; k++) {
        Py_ssize_t pos = runs[k];
        if (pos < last_end) continue;
        Py_ssize_t end = seq_match(s, pos);
        if (end < 0) continue;
        last_end = end;
        if (score_match(&c, pos, end) < 0) goto done;
    }
    size_t n_run_found = c.n_found;
    /* single tokens */
    for (size_t k = 0; k < n_singles; k++) {
        Py_ssize_t pos = singles[k];
        /* inside a run's finding? (they are sorted and disjoint) */
        size_t lo = 0, hi = n_run_found;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (pos < c.found[mid].start) hi = mid;
            else lo = mid + 1;
        }
        if (lo > 0 && c.found[lo - 1].end > pos) continue;
        if (pos > 0 && re_alnum(ch(s, pos - 1))) continue;
        /* _SINGLE_AFTER: [ \t]*(TOKEN)(?![\w@]) */
        Py_ssize_t a = skip_blanks(s, pos);
        Py_ssize_t b = token_end(s, a);
        if (b < 0) continue;
        if (b < n && (ch(s, b) == '@' || ch(s, b) == '.')) continue;
        if (is_date_part(s, a, b)) continue;
        c.n_toks = 0;
        c.n_low = 0;
        if (add_token(&c, a, b) < 0) goto done;
        double score = score_single(&c, c.toks[0].flags, before_kind(&c, pos), b);
        if (score >= 0.5) {
            double x = 0.35 + 0.5 * score, conf;
            if (round3(x < 0.9 ? x : 0.9, &conf) < 0) goto done;
            if (add_hit(&c, a, b, conf) < 0) goto done;
        }
    }
    qsort(c.found, c.n_found, sizeof *c.found, cmp_hit);
    result = PyList_New((Py_ssize_t)c.n_found);
    if (result) {
        for (size_t k = 0; k < c.n_found && ftype; k++) {
            PyObject *t = make_finding(ftype, reporter, c.found[k].start, c.found[k].end, c.found[k].conf);
            if (!t) {
                Py_CLEAR(result);
                break;
            }
            PyList_SET_ITEM(result, (Py_ssize_t)k, t);
        }
        for (size_t k = 0; k < c.n_found && !ftype; k++) {
            PyObject *t = PyTuple_New(3), *a = PyLong_FromSsize_t(c.found[k].start),
                     *b = PyLong_FromSsize_t(c.found[k].end), *f = PyFloat_FromDouble(c.found[k].conf);
            if (t && a && b && f) {
                PyTuple_SET_ITEM(t, 0, a);
                PyTuple_SET_ITEM(t, 1, b);
                PyTuple_SET_ITEM(t, 2, f);
            } else {
                Py_XDECREF(a);
                Py_XDECREF(b);
                Py_XDECREF(f);
                Py_CLEAR(t);
            }
            if (!t) {
                Py_CLEAR(result);
                break;
            }
            PyList_SET_ITEM(result, (Py_ssize_t)k, t);
        }
    }
    goto done;
nomem:
    PyErr_NoMemory();
done:
    PyMem_Free(hits.items);
    PyMem_Free(runs);
    PyMem_Free(singles);
    PyMem_Free(c.strong);
    PyMem_Free(c.titled);
    PyMem_Free(c.toks);
    PyMem_Free(c.low);
    PyMem_Free(c.sp_hash);
    PyMem_Free(c.sp_off);
    PyMem_Free(c.sp_len);
    PyMem_Free(c.found);
    PyBuffer_Release(&buf);
    return result;
}

/* ---- construction -------------------------------------------------------------------- */

/* Finder(expressions, flags, lengths, first, last, not_names, ambiguous, params,
 * database=None): the Hyperscan expressions and flags of names_en._db (ids from 0: run,
 * context, title, then first names), ``lengths`` per id (a first name's length in
 * characters), the first- and last-name dicts (their keys are used), NOT_NAMES,
 * AMBIGUOUS_FIRST, ``params`` (BASE_START, BASE_MID). */
static int Finder_init(Finder *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"expressions", "flags",     "lengths", "first",    "last",
                             "not_names",   "ambiguous", "params",  "database", NULL};
    PyObject *exprs_obj, *flags_obj, *lengths_obj, *first, *last, *not_names, *ambiguous, *params,
        *database = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOO|O", kwlist, &exprs_obj, &flags_obj, &lengths_obj, &first,
                                     &last, &not_names, &ambiguous, &params, &database))
        return -1;
    if (self->db) {
        PyErr_SetString(PyExc_RuntimeError, "Finder is already initialised");
        return -1;
    }
    if (!PyArg_ParseTuple(params, "dd", &self->base_start, &self->base_mid)) return -1;
    PyObject *lf = PySequence_Fast(lengths_obj, "lengths must be a sequence of int");
    if (!lf) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(lf);
    int rc = -1;
    if (n < 3 || n > 0x7FFFFFFF) {
        PyErr_SetString(PyExc_ValueError, "lengths: one per pattern, at least 3");
        goto done;
    }
    self->lengths = PyMem_Calloc((size_t)n, sizeof *self->lengths);
    if (!self->lengths) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned long v = PyLong_AsUnsignedLong(PySequence_Fast_GET_ITEM(lf, i));
        if (PyErr_Occurred()) goto done;
        self->lengths[i] = (uint32_t)v;
    }
    self->n_patterns = (unsigned int)n;
    Py_ssize_t n_words = PyObject_Size(first) + PyObject_Size(last) + PyObject_Size(not_names) + PyObject_Size(ambiguous);
    if (PyErr_Occurred()) goto done;
    if (words_init(&self->words, (size_t)n_words) < 0 || words_add_all(&self->words, first, W_FIRST) < 0
        || words_add_all(&self->words, last, W_LAST) < 0 || words_add_all(&self->words, not_names, W_NOT) < 0
        || words_add_all(&self->words, ambiguous, W_AMBIG) < 0)
        goto done;
    self->lower_name = PyUnicode_InternFromString("lower");
    if (!self->lower_name) goto done;
    if (database == Py_None && PySequence_Size(exprs_obj) != n) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "expressions and lengths must be as long as each other");
        goto done;
    }
    if (hs_build_from(&self->db, database, exprs_obj, flags_obj, 0, 0) < 0) goto done;
    if (hs_alloc_scratch(self->db, &self->scratch) != HS_SUCCESS) {
        PyErr_NoMemory();
        goto done;
    }
    rc = 0;
done:
    Py_DECREF(lf);
    return rc;
}

static PyObject *Finder_serialize(Finder *self, PyObject *unused) { return hs_serialized(self->db); }

static void Finder_dealloc(Finder *self) {
    if (self->scratch) hs_free_scratch(self->scratch);
    if (self->db) hs_free_database(self->db);
    PyMem_Free(self->lengths);
    words_free(&self->words);
    Py_XDECREF(self->lower_name);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Finder_methods[] = {
    {"names", (PyCFunction)Finder_names, METH_VARARGS,
     "names(text: str, data: bytes[, finding]) -> list\n\n"
     "The English names in the normalised text (data: its UTF-8), as (start, end, confidence);\n"
     "with finding = (Finding class, (kind, detector, version)), as findings."},
    {"serialize", (PyCFunction)Finder_serialize, METH_NOARGS, "The Hyperscan database, for database=."},
    {NULL},
};

static PyTypeObject FinderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "aisec.detect.pii._names_en.Finder",
    .tp_basicsize = sizeof(Finder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "find_english_names of aisec.detect.pii.names_en, in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Finder_init,
    .tp_dealloc = (destructor)Finder_dealloc,
    .tp_methods = Finder_methods,
};

/* the regular expressions alone, for the tests: _SEQ.match(text, pos).end() and
 * _SINGLE_AFTER.match(text, pos).span(1) (None: no match) */
static PyObject *py_seq_end(PyObject *module, PyObject *args) {
    PyObject *text;
    Py_ssize_t pos;
    if (!PyArg_ParseTuple(args, "Un", &text, &pos)) return NULL;
    Str s = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    if (pos < 0 || pos > s.n) Py_RETURN_NONE;
    Py_ssize_t e = seq_match(&s, pos);
    if (e < 0) Py_RETURN_NONE;
    return PyLong_FromSsize_t(e);
}

static PyObject *py_single_span(PyObject *module, PyObject *args) {
    PyObject *text;
    Py_ssize_t pos;
    if (!PyArg_ParseTuple(args, "Un", &text, &pos)) return NULL;
    Str s = {PyUnicode_KIND(text), PyUnicode_DATA(text), PyUnicode_GET_LENGTH(text)};
    if (pos < 0 || pos > s.n) Py_RETURN_NONE;
    Py_ssize_t a = skip_blanks(&s, pos), b = token_end(&s, a);
    if (b < 0) Py_RETURN_NONE;
    return Py_BuildValue("(nn)", a, b);
}

static PyMethodDef module_methods[] = {
    {"seq_end", py_seq_end, METH_VARARGS, "seq_end(text, pos): _SEQ.match(text, pos).end(), or None (for tests)."},
    {"single_span", py_single_span, METH_VARARGS,
     "single_span(text, pos): _SINGLE_AFTER.match(text, pos).span(1), or None (for tests)."},
    {NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_names_en",
    .m_doc = "The English name finder in C (see _names_en.c).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC PyInit__names_en(void) { return hs_module(&module, &FinderType, "Finder"); }
