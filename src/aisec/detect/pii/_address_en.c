/*
 * aisec.detect.pii._address_en: `find_english_addresses` of
 * `aisec.detect.pii.address_en` in C (`AddressRecognizer` runs it where it is built).
 *
 * Same steps as the Python: one Hyperscan scan (box anchors, European street words,
 * the heads of STREET and NUMBERED) over the UTF-8 bytes; then STREET and NUMBERED at
 * the number starts inside the merged windows that end at their anchors (`_head_start`,
 * `_matches_starting_in`, `_windows`, `_ANCHOR_AFTER`), BOX around each box anchor
 * (`_BOX_WINDOW`), and EURO
 * from the street word or a house number before it (`_WORD_BEFORE`, `_NUMBER_BEFORE`),
 * with `emit`'s de-duplication and bonus, in the Python's order.
 *
 * The regular expressions are reproduced as Python's `re` runs them: leftmost match,
 * alternatives in order, greedy and lazy quantifiers with backtracking, look-arounds
 * that see the whole string before ``pos`` and nothing at or after ``endpos``. Each
 * matcher below says, in its comment, why only the paths it tries can succeed (most
 * quantifiers are followed by something their own characters cannot start, so only
 * their longest run can be followed by a match). Classes use Python's Unicode
 * semantics (``\w``: str.isalnum() or "_", ``\d``: str.isdecimal(), through CPython's
 * own functions). Under re.IGNORECASE (EURO, BOX) a character matches a literal when
 * `re` says so: the Python module passes, for every character a literal of those
 * patterns can match, the smallest character of its class ("fold"), and bitmaps of the
 * characters the case-insensitive classes ([A-Za-z], the street-word classes) match.
 *
 * The word lists (SUFFIXES, EURO_PREFIX, EURO_SUFFIX, the _UNIT words, MONTH, _MEASURE)
 * are the Python module's, passed in; the short inline alternations (directions, BOX's
 * words) are written out here. The Python code remains the reference
 * (tests/detect/test_address_en_native.py compares the two, finding for finding, and
 * each regular expression alone with `re`): a change to one needs the same change in
 * the other.
 */
#include "_hs.h"
#include <string.h>

#define NONE 0xFFFFFFFFu /* "no character": past endpos */
#define MAXW 32          /* longest word of any list */
#define FOLD_DIRECT 0x300

/* ---- word lists ---------------------------------------------------------------------- */

/* an alternative of a word alternation: its characters (raw, and folded for
 * IGNORECASE) and whether an optional dot follows (``Apt\.?``) */
typedef struct {
    Py_UCS4 raw[MAXW], rep[MAXW];
    int len, dot;
} Alt;

typedef struct {
    Alt *items;
    size_t n;
} Alts;

/* a set of ASCII words (case-sensitive), for "is this \w-run one of them" */
typedef struct {
    char (*words)[MAXW + 1];
    uint8_t *lens;
    int32_t *slots; /* index into words, -1: empty */
    size_t n, mask;
} Ascii;

static uint32_t fnv(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static int ascii_has(const Ascii *a, const char *s, size_t n) {
    size_t slot = fnv(s, n) & a->mask;
    while (a->slots[slot] >= 0) {
        int32_t k = a->slots[slot];
        if (a->lens[k] == n && memcmp(a->words[k], s, n) == 0) return 1;
        slot = (slot + 1) & a->mask;
    }
    return 0;
}

static void ascii_free(Ascii *a) {
    PyMem_Free(a->words);
    PyMem_Free(a->lens);
    PyMem_Free(a->slots);
    memset(a, 0, sizeof *a);
}

/* from an iterable of str (ASCII, at most MAXW characters each) */
static int ascii_init(Ascii *a, PyObject *iterable, const char *what) {
    PyObject *seq = PySequence_Fast(iterable, "word lists must be sequences of str");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    size_t size = 16;
    while (size < (size_t)n * 2 + 16) size <<= 1;
    a->words = PyMem_Calloc((size_t)n + 1, sizeof *a->words);
    a->lens = PyMem_Calloc((size_t)n + 1, 1);
    a->slots = PyMem_Malloc(size * sizeof *a->slots);
    a->mask = size - 1;
    a->n = 0;
    if (!a->words || !a->lens || !a->slots) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < size; i++) a->slots[i] = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        Py_ssize_t len;
        const char *s = PyUnicode_Check(w) ? PyUnicode_AsUTF8AndSize(w, &len) : NULL;
        if (!s || len < 1 || len > MAXW || (size_t)len != (size_t)PyUnicode_GET_LENGTH(w)) {
            Py_DECREF(seq);
            if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "%s: words must be ASCII str of 1 to %d characters", what, MAXW);
            return -1;
        }
        if (ascii_has(a, s, (size_t)len)) continue;
        memcpy(a->words[a->n], s, (size_t)len);
        a->lens[a->n] = (uint8_t)len;
        size_t slot = fnv(s, (size_t)len) & a->mask;
        while (a->slots[slot] >= 0) slot = (slot + 1) & a->mask;
        a->slots[slot] = (int32_t)a->n++;
    }
    Py_DECREF(seq);
    return 0;
}

/* ---- the finder ---------------------------------------------------------------------- */

typedef struct {
    Py_UCS4 c, rep;
} FoldPair;

typedef struct {
    PyObject_HEAD
    hs_database_t *db;
    hs_scratch_t *scratch;
    Ascii suffixes, months, measures, dirs;
    Alts prefix, suffix, units; /* EURO_PREFIX, EURO_SUFFIX, _UNIT's words */
    Alt box_p, box_o, box_box, box_post, box_pobox, box_a2[3], box_a3[4], box_mil[3], box_a, box_aep[3];
    /* IGNORECASE: the fold of each character (below FOLD_DIRECT: a table; above: sorted
     * pairs, identity when absent) and the bitmaps of [A-Za-z], [_L], [_L0-9'’.-] */
    Py_UCS4 fold_lo[FOLD_DIRECT];
    FoldPair *fold_hi;
    size_t n_fold_hi;
    uint8_t ci_alpha[8192], ci_l[8192], ci_w[8192];
    /* params */
    Py_ssize_t anchor_after, box_before, box_after;
    double street_score, numbered_score, euro_score, box_score;
    unsigned int street_anchor, numbered_anchor;
    int head_tokens; /* _HEAD_TOKENS */
} Finder;

static inline Py_UCS4 fold(const Finder *f, Py_UCS4 c) {
    if (c < FOLD_DIRECT) return f->fold_lo[c];
    size_t lo = 0, hi = f->n_fold_hi;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->fold_hi[mid].c < c) lo = mid + 1;
        else hi = mid;
    }
    return lo < f->n_fold_hi && f->fold_hi[lo].c == c ? f->fold_hi[lo].rep : c;
}

static inline int bit(const uint8_t *bm, Py_UCS4 c) { return c < 0x10000 && ((bm[c >> 3] >> (c & 7)) & 1); }

/* ---- the subject of one match: the text, read up to ``lim`` (endpos) --------------- */

typedef struct {
    const Finder *f;
    int kind;
    const void *data;
    Py_ssize_t len; /* the text's length */
    Py_ssize_t lim; /* endpos of the current match: nothing at or after it is seen */
} M;

static inline Py_UCS4 at(const M *m, Py_ssize_t i) { return i < m->lim ? PyUnicode_READ(m->kind, m->data, i) : NONE; }
/* a character before the match position (look-behinds see the whole string before pos) */
static inline Py_UCS4 before(const M *m, Py_ssize_t i) { return PyUnicode_READ(m->kind, m->data, i); }

/* [^\W\d_] */
static inline int is_letter(Py_UCS4 c) { return c != '_' && re_alnum(c) && !re_digit(c); }
/* [\w-] */
static inline int is_wd(Py_UCS4 c) { return c == '-' || re_word(c); }
static inline int is_blank(Py_UCS4 c) { return c == ' ' || c == '\t'; }
/* [A-Za-z] */
static inline int is_ascii_letter(Py_UCS4 c) { return c < 128 && (c | 0x20) - 'a' < 26u; }
/* _L = [A-Za-zÀ-ɏ] */
static inline int is_l(Py_UCS4 c) { return is_ascii_letter(c) || (c >= 0xC0 && c <= 0x24F); }
/* the rest of _W: [_L0-9'’.-] */
static inline int is_wc(Py_UCS4 c) {
    return is_l(c) || c - '0' < 10u || c == '\'' || c == 0x2019 || c == '.' || c == '-';
}
/* NUMBERED's capital: [A-ZÀ-ÞĀ-ɏ] */
static inline int is_cap(Py_UCS4 c) { return c - 'A' < 26u || (c >= 0xC0 && c <= 0xDE) || (c >= 0x100 && c <= 0x24F); }
/* the rest of NUMBERED's first word: [_L'’.-] */
static inline int is_nc(Py_UCS4 c) { return is_l(c) || c == '\'' || c == 0x2019 || c == '.' || c == '-'; }

static inline Py_ssize_t skip_blanks(const M *m, Py_ssize_t i) {
    while (is_blank(at(m, i))) i++;
    return i;
}

/* the end of the run of \w characters at ``i`` */
static inline Py_ssize_t word_run(const M *m, Py_ssize_t i) {
    while (re_word(at(m, i))) i++;
    return i;
}

/* text[b:e] is a word of ``set`` */
static int run_in(const M *m, Py_ssize_t b, Py_ssize_t e, const Ascii *set) {
    if (e <= b || e - b > MAXW) return 0;
    char buf[MAXW];
    for (Py_ssize_t i = b; i < e; i++) {
        Py_UCS4 c = at(m, i);
        if (c >= 128) return 0;
        buf[i - b] = (char)c;
    }
    return ascii_has(set, buf, (size_t)(e - b));
}

/* the literal of ``a`` at ``i``: case-sensitive, or as re.IGNORECASE compares */
static inline int lit(const M *m, Py_ssize_t i, const Alt *a, int ci) {
    if (ci) {
        for (int k = 0; k < a->len; k++)
            if (fold(m->f, at(m, i + k)) != a->rep[k]) return 0;
    } else {
        for (int k = 0; k < a->len; k++)
            if (at(m, i + k) != a->raw[k]) return 0;
    }
    return 1;
}

/* ---- the shared tail: (?:_NL _UNIT)* _CITY? ------------------------------------------ */

/* the rest of _UNIT after its word: [ \t]*#?[\w-]+ (the pattern goes on with what always
 * matches, so the first way it can match is taken). Fewer blanks leave a blank, which
 * neither "#" nor [\w-] matches; "#" is taken when [\w-] follows it, else [\w-]+ must
 * start where the "#" is, which it cannot; [\w-]+ is greedy. */
static Py_ssize_t unit_rest(const M *m, Py_ssize_t a) {
    Py_ssize_t b = skip_blanks(m, a);
    Py_UCS4 c = at(m, b);
    if (c == '#' && is_wd(at(m, b + 1))) b++;
    else if (!is_wd(c)) return -1;
    while (is_wd(at(m, b))) b++;
    return b;
}

/* _UNIT.match at ``p``: the first alternative (in order) that completes; an optional dot
 * is tried taken first ("Flat 3": "Fl" + "at" completes before "Flat" is tried) */
static Py_ssize_t unit_match(const M *m, Py_ssize_t p, int ci) {
    const Alts *u = &m->f->units;
    for (size_t k = 0; k < u->n; k++) {
        const Alt *a = &u->items[k];
        if (!lit(m, p, a, ci)) continue;
        Py_ssize_t e = p + a->len, r;
        if (a->dot && at(m, e) == '.' && (r = unit_rest(m, e + 1)) >= 0) return r;
        if ((r = unit_rest(m, e)) >= 0) return r;
    }
    return -1;
}

static inline int nl_char(Py_UCS4 c) { return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '>' || c == '?'; }

/* Where _NL = ,?(?:[ \t]*\n[ \t]*[>?]*)*[ \t]* can end before a _UNIT at ``p``, or -1.
 * _UNIT starts with a letter or "#", which _NL never consumes, so the only end that a
 * _UNIT can follow is the end of the run of _NL's characters; which way _NL gets there
 * does not matter. Returns that end when _NL can consume the whole run: an optional
 * comma, blanks, then per line break: blanks, [>?]*, blanks. */
static Py_ssize_t nl_end(const M *m, Py_ssize_t p) {
    Py_ssize_t u = p;
    while (nl_char(at(m, u))) u++;
    Py_ssize_t i = p;
    if (at(m, i) == ',') i++;
    i = skip_blanks(m, i);
    while (at(m, i) == '\n') {
        i = skip_blanks(m, i + 1);
        while (at(m, i) == '>' || at(m, i) == '?') i++;
        i = skip_blanks(m, i);
    }
    return i == u ? u : -1;
}

/* _CITY's end: [ \t,]+\d{4,6}(?:-\d{4})?(?!\d) at ``p``, or -1. Fewer [ \t,] leave one
 * of them, not a digit. Fewer digits than the whole run leave a digit, which neither
 * "-" nor (?!\d) accepts: the run must be 4 to 6 digits. "-dddd" is taken when no digit
 * follows it, else (?!\d) at the "-" holds. */
static Py_ssize_t city_end(const M *m, Py_ssize_t p) {
    Py_ssize_t i = p;
    while (is_blank(at(m, i)) || at(m, i) == ',') i++;
    if (i == p) return -1;
    Py_ssize_t d = i;
    while (re_digit(at(m, d))) d++;
    if (d - i < 4 || d - i > 6) return -1;
    if (at(m, d) == '-' && re_digit(at(m, d + 1)) && re_digit(at(m, d + 2)) && re_digit(at(m, d + 3))
        && re_digit(at(m, d + 4)) && !re_digit(at(m, d + 5)))
        return d + 5;
    return d;
}

/* Where _CITY's separator (?:,[ \t]*|(?:[ \t]*\n[ \t]*[>?]*)+[ \t]*) at ``p`` can end
 * before the letter that follows it, or -1. The two alternatives start differently (a
 * comma; a blank or line break). After the comma, fewer blanks leave a blank, not a
 * letter. The second consumes only blanks, line breaks, ">" and "?", none of them a
 * letter: it must end at the end of their run, and can when the run is blanks, then per
 * line break (at least one) blanks, [>?]*, blanks. Returns where that reading stops
 * (the caller checks for the letter, which a stop inside the run is not). */
static Py_ssize_t sep_end(const M *m, Py_ssize_t p) {
    Py_UCS4 c = at(m, p);
    if (c == ',') return skip_blanks(m, p + 1);
    if (!is_blank(c) && c != '\n') return -1;
    Py_ssize_t i = skip_blanks(m, p);
    if (at(m, i) != '\n') return -1;
    while (at(m, i) == '\n') {
        i = skip_blanks(m, i + 1);
        while (at(m, i) == '>' || at(m, i) == '?') i++;
        i = skip_blanks(m, i);
    }
    return i;
}

/* _CITY after ``k`` of its parts, at ``p``: (?:SEP[^\W\d_][^\n\d\uffff]{0,40}?){k+1..4}
 * then the end, or -1. As re's backtracking tries them: the greedy {1,4} tries one more
 * part before the end; inside a part, the separator ends in one place (`sep_end`), and
 * the lazy {0,40}? tries 0, 1, ... characters, each followed by the rest. */
static Py_ssize_t city_from(const M *m, Py_ssize_t p, int k) {
    if (k < 4) {
        Py_ssize_t q = sep_end(m, p);
        if (q >= 0 && is_letter(at(m, q))) {
            Py_ssize_t e = q + 1, stop = q + 41;
            for (;;) {
                Py_ssize_t r = city_from(m, e, k + 1);
                if (r >= 0) return r;
                Py_UCS4 c = at(m, e);
                if (e >= stop || c == NONE || c == '\n' || c == 0xFFFF || re_digit(c)) break;
                e++;
            }
        }
    }
    return k >= 1 ? city_end(m, p) : -1;
}

/* (?:_NL _UNIT)*_CITY? at ``p``: everything after it matches empty, so the greedy star
 * takes each next (_NL _UNIT) that matches, and _CITY? its first match, if any */
static Py_ssize_t tail(const M *m, Py_ssize_t p, int ci) {
    for (;;) {
        Py_ssize_t u = nl_end(m, p);
        if (u < 0) break;
        Py_ssize_t e = unit_match(m, u, ci);
        if (e < 0) break;
        p = e;
    }
    Py_ssize_t c = city_from(m, p, 0);
    return c >= 0 ? c : p;
}

/* ---- STREET -------------------------------------------------------------------------- */

/* (?:[ \t]+_W){0,4}?[ \t]+SUFFIX\.?(?![\w]) at ``t``: its end, or -1.
 * Lazy: 0 words first, then 1, ... 4. The blanks are always the whole run (a word and a
 * suffix start with a letter), each word _W its whole run (a blank must follow it). A
 * suffix (letters) followed by (?![\w]) is the whole \w-run there, so the run must be
 * one of SUFFIXES (the alternation's order then does not matter). "\.?" takes a dot
 * when no \w follows it; else (?![\w]) holds at the dot itself. */
static Py_ssize_t street_words(const M *m, Py_ssize_t t) {
    for (int k = 0;; k++) {
        Py_ssize_t b = skip_blanks(m, t);
        if (b == t) return -1;
        Py_ssize_t e = word_run(m, b);
        if (run_in(m, b, e, &m->f->suffixes)) return at(m, e) == '.' && !re_word(at(m, e + 1)) ? e + 1 : e;
        if (k == 4 || !is_l(at(m, b))) return -1;
        t = b + 1;
        while (is_wc(at(m, t))) t++;
    }
}

/* STREET.match(text, p, lim): its end, or -1 */
static Py_ssize_t street_match(const M *m, Py_ssize_t p) {
    if (!re_digit(at(m, p))) return -1;
    if (p > 0) { /* (?<![\w.-]\d) after the first digit */
        Py_UCS4 c = before(m, p - 1);
        if (re_word(c) || c == '.' || c == '-') return -1;
    }
    /* \d{0,5}: fewer digits leave a digit, where nothing after can start */
    Py_ssize_t q = p + 1;
    while (q - p < 6 && re_digit(at(m, q))) q++;
    if (re_digit(at(m, q))) return -1;
    /* [A-Za-z]?: without the letter, the blank everything after needs is missing */
    if (is_ascii_letter(at(m, q))) q++;
    /* (?:[ \t]+\d{1,6})? tried first: whole blank run, then the digit run (1 to 6: a
     * shorter take leaves a digit, not the blank that must follow) */
    Py_ssize_t e = -1;
    if (is_blank(at(m, q))) {
        Py_ssize_t b = skip_blanks(m, q), d = b;
        while (d - b < 6 && re_digit(at(m, d))) d++;
        if (d > b && !re_digit(at(m, d))) e = street_words(m, d);
    }
    if (e < 0) e = street_words(m, q);
    if (e < 0) return -1;
    /* (?:[ \t]+(?:N|S|...|West)\b\.?)?: the alternatives are letters followed by \b, so
     * the whole \w-run must be one; the dot is taken (the rest always matches) */
    Py_ssize_t b = skip_blanks(m, e);
    if (b > e) {
        Py_ssize_t r = word_run(m, b);
        if (run_in(m, b, r, &m->f->dirs)) {
            e = r;
            if (at(m, e) == '.') e++;
        }
    }
    /* (?:[ \t]+_W(?=[ \t\n,]+_UNIT))?: whole blank run, whole word (a shorter one leaves
     * a word character where [ \t\n,] is needed), whole [ \t\n,] run (_UNIT starts with
     * none of them), then any match of _UNIT */
    b = skip_blanks(m, e);
    if (b > e && is_l(at(m, b))) {
        Py_ssize_t w = b + 1;
        while (is_wc(at(m, w))) w++;
        Py_ssize_t y = w;
        for (Py_UCS4 c = at(m, y); is_blank(c) || c == '\n' || c == ','; c = at(m, ++y)) {
        }
        if (y > w && unit_match(m, y, 0) >= 0) e = w;
    }
    return tail(m, e, 0);
}

/* ---- NUMBERED ------------------------------------------------------------------------ */

/* (?!MONTH[ \t,]+\d) fails at ``b``: a month's letters, the whole [a-z] run (a shorter
 * one leaves a letter where "." or [ \t,] is needed), a dot if there is one (without it,
 * [ \t,]+ would have to start at the dot), the whole [ \t,] run, then a digit */
static int month_ahead(const M *m, Py_ssize_t b) {
    const Ascii *months = &m->f->months;
    for (size_t k = 0; k < months->n; k++) {
        const char *w = months->words[k];
        int len = months->lens[k], i = 0;
        while (i < len && at(m, b + i) == (Py_UCS4)(unsigned char)w[i]) i++;
        if (i < len) continue;
        Py_ssize_t x = b + len;
        while (at(m, x) - 'a' < 26u) x++;
        if (at(m, x) == '.') x++;
        Py_ssize_t y = x;
        while (is_blank(at(m, y)) || at(m, y) == ',') y++;
        if (y > x && re_digit(at(m, y))) return 1;
    }
    return 0;
}

/* (?![\w]|[ \t]+(?:MEASURE)\b) holds at ``y``: the measure words are letters followed by
 * \b, so the whole \w-run after the whole blank run must be one */
static int no_measure(const M *m, Py_ssize_t y) {
    if (re_word(at(m, y))) return 0;
    Py_ssize_t b = skip_blanks(m, y);
    return b == y || !run_in(m, b, word_run(m, b), &m->f->measures);
}

/* \d{1,5}[A-Za-z]?\.?(?![\w]|[ \t]+MEASURE\b) at ``u``: its end, or -1. A take of fewer
 * digits than the run leaves a digit, a \w. With a letter after the digits, leaving it
 * out leaves a \w too; the dot is tried taken first, and without it the look-ahead sees
 * the dot, which passes. */
static Py_ssize_t numbered_number(const M *m, Py_ssize_t u) {
    Py_ssize_t x = u;
    while (x - u <= 5 && re_digit(at(m, x))) x++;
    if (x == u || x - u > 5) return -1;
    Py_UCS4 c = at(m, x);
    if (is_ascii_letter(c)) {
        Py_ssize_t y = x + 1;
        if (at(m, y) == '.') return no_measure(m, y + 1) ? y + 1 : y;
        return no_measure(m, y) ? y : -1;
    }
    if (c == '.') return no_measure(m, x + 1) ? x + 1 : x;
    return no_measure(m, x) ? x : -1;
}

/* NUMBERED.match(text, p, lim): its end, or -1 */
static Py_ssize_t numbered_match(const M *m, Py_ssize_t p) {
    if (!re_digit(at(m, p))) return -1;
    if (p > 0) { /* (?<![\w.,-]\d) */
        Py_UCS4 c = before(m, p - 1);
        if (re_word(c) || c == '.' || c == ',' || c == '-') return -1;
    }
    Py_ssize_t q = p + 1; /* \d{0,5}: the whole run (a blank must follow) */
    while (q - p < 6 && re_digit(at(m, q))) q++;
    if (re_digit(at(m, q))) return -1;
    Py_ssize_t b = skip_blanks(m, q); /* [ \t]+: the whole run (a capital must follow) */
    if (b == q || month_ahead(m, b) || !is_cap(at(m, b))) return -1;
    Py_ssize_t t = b + 1; /* [_L'’.-]*: the whole run (a blank must follow) */
    while (is_nc(at(m, t))) t++;
    /* (?:[ \t]+_W){0,4}?[ \t]+\d{1,5}...: lazy, as in `street_words`; when the number
     * after k words fails, k + 1 words would need a letter where that digit is */
    for (int k = 0;; k++) {
        Py_ssize_t u = skip_blanks(m, t);
        if (u == t) return -1;
        if (re_digit(at(m, u))) {
            Py_ssize_t e = numbered_number(m, u);
            return e < 0 ? -1 : tail(m, e, 0);
        }
        if (k == 4 || !is_l(at(m, u))) return -1;
        t = u + 1;
        while (is_wc(at(m, t))) t++;
    }
}

/* ---- EURO (re.IGNORECASE) ------------------------------------------------------------ */

static inline int ci_l(const M *m, Py_UCS4 c) { return bit(m->f->ci_l, c); }
static inline int ci_wc(const M *m, Py_UCS4 c) { return bit(m->f->ci_w, c); }
static inline int ci_alpha(const M *m, Py_UCS4 c) { return bit(m->f->ci_alpha, c); }

/* \d{1,5}[A-Za-z]?(?![\w]) at ``t`` (IGNORECASE), or -1: the whole digit run (fewer
 * leave a digit); the letter if \w does not follow it, else none if no \w follows the
 * digits */
static Py_ssize_t euro_number(const M *m, Py_ssize_t t) {
    Py_ssize_t d = t;
    while (d - t <= 5 && re_digit(at(m, d))) d++;
    if (d == t || d - t > 5) return -1;
    if (ci_alpha(m, at(m, d)) && !re_word(at(m, d + 1))) return d + 1;
    return re_word(at(m, d)) ? -1 : d;
}

/* [ \t]+(?:_W[ \t]+){0,4}?\d{1,5}[A-Za-z]?(?![\w]) at ``c``: lazy; every blank run and
 * word whole (each must be followed by a blank, a digit or a letter that it would have
 * taken); when the number after k words fails, a word cannot start at its digit */
static Py_ssize_t euro_prefix_rest(const M *m, Py_ssize_t c) {
    if (!is_blank(at(m, c))) return -1;
    Py_ssize_t t = skip_blanks(m, c);
    for (int k = 0;; k++) {
        if (re_digit(at(m, t))) return euro_number(m, t);
        if (k == 4 || !ci_l(m, at(m, t))) return -1;
        Py_ssize_t w = t + 1;
        while (ci_wc(m, at(m, w))) w++;
        if (!is_blank(at(m, w))) return -1;
        t = skip_blanks(m, w);
    }
}

/* (?:EURO_PREFIX)[ \t]+... at ``h``: the alternatives in order */
static Py_ssize_t euro_prefixed(const M *m, Py_ssize_t h) {
    const Alts *alts = &m->f->prefix;
    for (size_t k = 0; k < alts->n; k++) {
        const Alt *a = &alts->items[k];
        if (!lit(m, h, a, 1)) continue;
        Py_ssize_t e = h + a->len, r;
        if (a->dot && at(m, e) == '.' && (r = euro_prefix_rest(m, e + 1)) >= 0) return r;
        if ((r = euro_prefix_rest(m, e)) >= 0) return r;
    }
    return -1;
}

static Py_ssize_t euro_suffix_rest(const M *m, Py_ssize_t c) {
    if (!is_blank(at(m, c))) return -1;
    return euro_number(m, skip_blanks(m, c));
}

/* [^\W\d_]*(?:EURO_SUFFIX)[ \t]+\d{1,5}[A-Za-z]?(?![\w]) at ``h``: the greedy star gives
 * back one letter at a time, and at each place the alternatives are tried in order */
static Py_ssize_t euro_suffixed(const M *m, Py_ssize_t h) {
    const Alts *alts = &m->f->suffix;
    Py_ssize_t run = h;
    while (is_letter(at(m, run))) run++;
    for (Py_ssize_t i = run; i >= h; i--) {
        Py_UCS4 first = fold(m->f, at(m, i));
        for (size_t k = 0; k < alts->n; k++) {
            const Alt *a = &alts->items[k];
            if (a->rep[0] != first || !lit(m, i, a, 1)) continue;
            Py_ssize_t e = i + a->len, r;
            if (a->dot && at(m, e) == '.' && (r = euro_suffix_rest(m, e + 1)) >= 0) return r;
            if ((r = euro_suffix_rest(m, e)) >= 0) return r;
        }
    }
    return -1;
}

/* EURO.match(text, pos) (endpos: the end of the text): its end, or -1 */
static Py_ssize_t euro_match(const M *m, Py_ssize_t pos) {
    if (pos > 0 && re_word(before(m, pos - 1))) return -1; /* (?<![\w]) */
    Py_ssize_t r = -1;
    /* (?:\d{1,6}[ \t]+)? first: the whole digit run (1 to 6) and the whole blank run */
    Py_ssize_t d = pos;
    while (d - pos <= 6 && re_digit(at(m, d))) d++;
    if (d > pos && d - pos <= 6 && is_blank(at(m, d))) {
        Py_ssize_t h = skip_blanks(m, d);
        r = euro_prefixed(m, h);
        if (r < 0) r = euro_suffixed(m, h);
    }
    if (r < 0) r = euro_prefixed(m, pos);
    if (r < 0) r = euro_suffixed(m, pos);
    if (r < 0) return -1;
    if (at(m, r) == '.') r++; /* \.? (the rest always matches) */
    return tail(m, r, 1);
}

/* ---- BOX (re.IGNORECASE) ------------------------------------------------------------- */

/* [ \t]+\d+ (both runs whole: nothing follows in the pattern, or a blank and "Box") */
static Py_ssize_t blanks_digits(const M *m, Py_ssize_t i) {
    Py_ssize_t b = skip_blanks(m, i);
    if (b == i || !re_digit(at(m, b))) return -1;
    while (re_digit(at(m, b))) b++;
    return b;
}

/* ,?[ \t\n]*(?:APO|FPO|DPO)[ \t]+A[AEP][ \t]+\d{5} at ``i``, or -1: the comma taken if
 * there (else the blank run would have to start at it, and APO too); every run whole */
static Py_ssize_t box_mil(const M *m, Py_ssize_t i) {
    const Finder *f = m->f;
    if (at(m, i) == ',') i++;
    while (is_blank(at(m, i)) || at(m, i) == '\n') i++;
    if (!lit(m, i, &f->box_mil[0], 1) && !lit(m, i, &f->box_mil[1], 1) && !lit(m, i, &f->box_mil[2], 1)) return -1;
    Py_ssize_t b = skip_blanks(m, i + 3);
    if (b == i + 3 || !lit(m, b, &f->box_a, 1)) return -1;
    if (!lit(m, b + 1, &f->box_aep[0], 1) && !lit(m, b + 1, &f->box_aep[1], 1) && !lit(m, b + 1, &f->box_aep[2], 1))
        return -1;
    i = skip_blanks(m, b + 2);
    if (i == b + 2) return -1;
    for (int k = 0; k < 5; k++)
        if (!re_digit(at(m, i + k))) return -1;
    return i + 5;
}

/* BOX.match(text, p, lim): its end, or -1. The look-behind belongs to the first
 * alternative only. In P\.?[ \t]?O\.?[ \t]+Box each optional character is taken when
 * present (without it, the next item would have to match it). */
static Py_ssize_t box_match(const M *m, Py_ssize_t p) {
    const Finder *f = m->f;
    Py_ssize_t r;
    if (p == 0 || !re_word(before(m, p - 1))) {
        if (lit(m, p, &f->box_p, 1)) {
            Py_ssize_t i = p + 1;
            if (at(m, i) == '.') i++;
            if (is_blank(at(m, i))) i++;
            if (lit(m, i, &f->box_o, 1)) {
                i++;
                if (at(m, i) == '.') i++;
                Py_ssize_t b = skip_blanks(m, i);
                if (b > i && lit(m, b, &f->box_box, 1) && (r = blanks_digits(m, b + 3)) >= 0) return r;
            }
        }
        if (lit(m, p, &f->box_post, 1) && (r = blanks_digits(m, p + f->box_post.len)) >= 0) return r;
        if (lit(m, p, &f->box_pobox, 1) && (r = blanks_digits(m, p + f->box_pobox.len)) >= 0) return r;
    }
    /* (?:PSC|Unit|CMR)[ \t]+\d+,?[ \t]+Box[ \t]+\d+(?:MIL)?: every run whole (each is
     * followed by what it cannot give), the last number whole (the rest always matches) */
    for (int k = 0; k < 3; k++) {
        const Alt *a = &f->box_a2[k];
        if (!lit(m, p, a, 1)) continue;
        Py_ssize_t i = p + a->len, b = skip_blanks(m, i);
        if (b == i || !re_digit(at(m, b))) continue;
        while (re_digit(at(m, b))) b++;
        if (at(m, b) == ',') b++;
        i = skip_blanks(m, b);
        if (i == b || !lit(m, i, &f->box_box, 1)) continue;
        if ((r = blanks_digits(m, i + 3)) < 0) continue;
        Py_ssize_t g = box_mil(m, r);
        return g >= 0 ? g : r;
    }
    /* (?:USNS|USNV|USS|USCGC)[ \t]+\w+(?:MIL): \w+ gives back one character at a time
     * ("USS ShipAPO AE 12345" matches with \w+ = "Ship") */
    for (int k = 0; k < 4; k++) {
        const Alt *a = &f->box_a3[k];
        if (!lit(m, p, a, 1)) continue;
        Py_ssize_t i = p + a->len, b = skip_blanks(m, i);
        if (b == i || !re_word(at(m, b))) continue;
        Py_ssize_t w = word_run(m, b);
        for (Py_ssize_t x = w; x > b; x--)
            if ((r = box_mil(m, x)) >= 0) return r;
    }
    return -1;
}

/* ---- one call ------------------------------------------------------------------------ */

typedef struct {
    Py_ssize_t start, end;
    double conf;
} Hit;

typedef struct {
    Hit *items;
    size_t n, cap;
    /* seen (start, end): open addressing over indices into items */
    int32_t *slots;
    size_t mask;
} Found;

static int found_grow_set(Found *f) {
    size_t size = f->mask ? (f->mask + 1) * 2 : 64;
    int32_t *slots = PyMem_Malloc(size * sizeof *slots);
    if (!slots) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < size; i++) slots[i] = -1;
    for (size_t k = 0; k < f->n; k++) {
        uint64_t h = (uint64_t)f->items[k].start * 0x9E3779B97F4A7C15ULL ^ (uint64_t)f->items[k].end * 0xC2B2AE3D27D4EB4FULL;
        size_t s = (size_t)(h >> 20) & (size - 1);
        while (slots[s] >= 0) s = (s + 1) & (size - 1);
        slots[s] = (int32_t)k;
    }
    PyMem_Free(f->slots);
    f->slots = slots;
    f->mask = size - 1;
    return 0;
}

/* emit: a span not seen before, with 0.09 more when it is longer than 24 characters */
static int emit(Found *f, Py_ssize_t start, Py_ssize_t end, double score) {
    if (!f->slots || (f->n + 1) * 2 > f->mask) {
        if (found_grow_set(f) < 0) return -1;
    }
    uint64_t h = (uint64_t)start * 0x9E3779B97F4A7C15ULL ^ (uint64_t)end * 0xC2B2AE3D27D4EB4FULL;
    size_t s = (size_t)(h >> 20) & f->mask;
    while (f->slots[s] >= 0) {
        const Hit *x = &f->items[f->slots[s]];
        if (x->start == start && x->end == end) return 0;
        s = (s + 1) & f->mask;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        Hit *items = PyMem_Realloc(f->items, cap * sizeof *items);
        if (!items) {
            PyErr_NoMemory();
            return -1;
        }
        f->items = items;
        f->cap = cap;
    }
    f->slots[s] = (int32_t)f->n;
    f->items[f->n++] = (Hit){start, end, score + (end - start > 24 ? 0.09 : 0.0)};
    return 0;
}

typedef struct {
    Py_ssize_t lo, hi;
} Span;

static int cmp_span(const void *pa, const void *pb) {
    const Span *a = pa, *b = pb;
    if (a->lo != b->lo) return a->lo < b->lo ? -1 : 1;
    return (a->hi > b->hi) - (a->hi < b->hi);
}

/* _windows: sorted, and merged where they overlap or touch; returns the new count */
static size_t merge_windows(Span *w, size_t n) {
    if (!n) return 0;
    qsort(w, n, sizeof *w, cmp_span);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (w[i].lo <= w[k].hi) {
            if (w[i].hi > w[k].hi) w[k].hi = w[i].hi;
        } else {
            w[++k] = w[i];
        }
    }
    return k + 1;
}

/* _matches_starting_in: per window, the matches of ``match`` (endpos: hi +
 * _ANCHOR_AFTER) at each number start (?<![\w.-])\d in [lo, hi) not inside the
 * previous match of that window */
static int windows_matches(M *m, const Span *w, size_t n, Py_ssize_t (*match)(const M *, Py_ssize_t), double score,
                           Found *found) {
    for (size_t k = 0; k < n; k++) {
        Py_ssize_t lo = w[k].lo, hi = w[k].hi;
        Py_ssize_t endpos = hi + m->f->anchor_after < m->len ? hi + m->f->anchor_after : m->len;
        m->lim = endpos;
        Py_ssize_t pos = lo, stop = hi < endpos ? hi : endpos;
        for (Py_ssize_t p = lo; p < stop; p++) {
            if (p < pos) continue;
            if (!re_digit(at(m, p))) continue;
            if (p > 0) {
                Py_UCS4 c = before(m, p - 1);
                if (re_word(c) || c == '.' || c == '-') continue;
            }
            Py_ssize_t e = match(m, p);
            if (e >= 0) {
                if (emit(found, p, e, score) < 0) return -1;
                pos = e;
            }
        }
    }
    return 0;
}

/* _WORD_BEFORE.search(text, lo, hi): [^\W\d_][\w'’.-]{0,40}$ — its start, or -1. At a
 * start, the class run (at most 40) must reach ``hi``, or stop at a line break just
 * before it ($ matches there too); a shorter take leaves a class character, which is
 * neither the end nor that line break. */
static Py_ssize_t word_before(const M *m, Py_ssize_t lo, Py_ssize_t hi) {
    for (Py_ssize_t p = lo; p < hi; p++) {
        if (!is_letter(before(m, p))) continue;
        Py_ssize_t r = p + 1;
        while (r < hi && r - (p + 1) < 40) {
            Py_UCS4 c = before(m, r);
            if (!(re_word(c) || c == '\'' || c == 0x2019 || c == '.' || c == '-')) break;
            r++;
        }
        if (r == hi || (r + 1 == hi && before(m, r) == '\n')) return p;
    }
    return -1;
}

/* _NUMBER_BEFORE.search(text, lo, hi): \d{1,6}[ \t]+$ — its start, or -1 (every run
 * whole, as above) */
static Py_ssize_t number_before(const M *m, Py_ssize_t lo, Py_ssize_t hi) {
    for (Py_ssize_t p = lo; p < hi; p++) {
        Py_ssize_t d = p;
        while (d < hi && d - p <= 6 && re_digit(before(m, d))) d++;
        if (d == p || d - p > 6) continue;
        Py_ssize_t r = d;
        while (r < hi && is_blank(before(m, r))) r++;
        if (r == d) continue;
        if (r == hi || (r + 1 == hi && before(m, r) == '\n')) return p;
    }
    return -1;
}

/* an anchor: where a match of pattern ``id`` ends (no pattern asks for its start) */
typedef struct {
    unsigned int id;
    Py_ssize_t e; /* bytes, then characters */
    size_t order;
} Anchor;

static int cmp_anchor_key(const void *pa, const void *pb) {
    const Anchor *a = pa, *b = pb;
    if (a->id != b->id) return a->id < b->id ? -1 : 1;
    if (a->e != b->e) return a->e < b->e ? -1 : 1;
    return (a->order > b->order) - (a->order < b->order);
}

static int cmp_anchor_order(const void *pa, const void *pb) {
    const Anchor *a = pa, *b = pb;
    return (a->order > b->order) - (a->order < b->order);
}

static PyObject *found_list(const Found *f) {
    PyObject *result = PyList_New((Py_ssize_t)f->n);
    if (!result) return NULL;
    for (size_t k = 0; k < f->n; k++) {
        PyObject *t = Py_BuildValue("(nnd)", f->items[k].start, f->items[k].end, f->items[k].conf);
        if (!t) {
            Py_DECREF(result);
            return NULL;
        }
        PyList_SET_ITEM(result, (Py_ssize_t)k, t);
    }
    return result;
}

/* _head_start: the earliest a STREET or NUMBERED head whose anchor ends at ``end`` can
 * start (on its line, at most _HEAD_TOKENS runs of non-blanks back); looks back only as far
 * as those runs reach, never to the start of a line it does not need */
static Py_ssize_t head_start(const M *m, Py_ssize_t end) {
    Py_ssize_t p = end - 1;
    for (int t = 0; t < m->f->head_tokens; t++) {
        Py_ssize_t q = p - 1;
        Py_UCS4 c = 0;
        while (q >= 0 && (c = before(m, q)) != ' ' && c != '\t' && c != '\n') q--;
        if (q < 0) return 0;
        if (c == '\n') return q + 1;
        p = q;
        while (p > 0 && ((c = before(m, p - 1)) == ' ' || c == '\t')) p--;
    }
    return p;
}

/* find(text, data) -> list[(start, end, confidence)]: list(find_english_addresses(ctx))
 * for the normalised ``text`` and its UTF-8 ``data`` */
static PyObject *Finder_find(Finder *self, PyObject *args) {
    PyObject *text;
    Py_buffer buf;
    if (!PyArg_ParseTuple(args, "Uy*", &text, &buf)) return NULL;
    const uint8_t *d = buf.buf;
    Py_ssize_t nb = buf.len, n = PyUnicode_GET_LENGTH(text);
    HsHits hits = {0};
    Anchor *anchors = NULL;
    Span *spans = NULL;
    Found found = {0};
    PyObject *result = NULL;
    int digit = 0;
    for (Py_ssize_t b = 0; b < nb && !digit; b++) digit = (unsigned)(d[b] - '0') < 10u;
    if (!digit) goto empty; /* _DIGIT.search(text) is None */
    if (hs_collect_all(self->db, self->scratch, &buf, &hits) < 0) goto done;
    if (!hits.n) goto empty;
    /* dict.fromkeys(hits): the first of each (id, end), in report order */
    anchors = PyMem_Malloc(hits.n * sizeof *anchors);
    spans = PyMem_Malloc(hits.n * sizeof *spans);
    if (!anchors || !spans) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t k = 0; k < hits.n; k++) anchors[k] = (Anchor){hits.items[k].id, (Py_ssize_t)hits.items[k].end, k};
    qsort(anchors, hits.n, sizeof *anchors, cmp_anchor_key);
    size_t na = 0;
    for (size_t k = 0; k < hits.n; k++) {
        if (na && anchors[na - 1].id == anchors[k].id && anchors[na - 1].e == anchors[k].e) continue;
        anchors[na++] = anchors[k];
    }
    qsort(anchors, na, sizeof *anchors, cmp_anchor_order);
    /* byte offsets -> character offsets (Hyperscan reports ends in ascending order) */
    CharCounter chars = {d, 0, 0};
    for (size_t k = 0; k < na; k++) anchors[k].e = char_of(&chars, anchors[k].e);
    M m = {self, PyUnicode_KIND(text), PyUnicode_DATA(text), n, n};
    /* STREET, then NUMBERED, in their anchors' windows */
    for (int which = 0; which < 2; which++) {
        unsigned int id = which ? self->numbered_anchor : self->street_anchor;
        size_t ns = 0;
        for (size_t k = 0; k < na; k++)
            if (anchors[k].id == id) spans[ns++] = (Span){head_start(&m, anchors[k].e), anchors[k].e};
        ns = merge_windows(spans, ns);
        if (windows_matches(&m, spans, ns, which ? numbered_match : street_match,
                            which ? self->numbered_score : self->street_score, &found)
            < 0)
            goto done;
    }
    /* the other anchors, in order */
    for (size_t k = 0; k < na; k++) {
        unsigned int id = anchors[k].id;
        if (id == self->street_anchor || id == self->numbered_anchor) continue;
        Py_ssize_t end = anchors[k].e;
        if (id == 0) { /* a box: BOX.finditer(text, end - before, end + after) */
            Py_ssize_t lo = end - self->box_before > 0 ? end - self->box_before : 0;
            Py_ssize_t hi = end + self->box_after < n ? end + self->box_after : n;
            m.lim = hi;
            for (Py_ssize_t p = lo; p < hi;) {
                Py_ssize_t e = box_match(&m, p);
                if (e < 0) {
                    p++;
                    continue;
                }
                if (p <= end - 1 && end - 1 < e + 1 && emit(&found, p, e, self->box_score) < 0) goto done;
                p = e > p ? e : p + 1;
            }
            continue;
        }
        /* a European street: from the word before the anchor's blank, or a house number
         * before that word */
        Py_ssize_t stop;
        if (id == 1) {
            stop = end - 1;
        } else { /* text.rfind(" ", 0, end) */
            stop = end - 1;
            while (stop >= 0 && PyUnicode_READ(m.kind, m.data, stop) != ' ') stop--;
        }
        Py_ssize_t hi = stop > 0 ? stop : 0, lo = stop - 41 > 0 ? stop - 41 : 0;
        Py_ssize_t word = word_before(&m, lo, hi);
        if (word < 0) continue;
        Py_ssize_t starts[2], ns = 0;
        Py_ssize_t number = number_before(&m, word - 12 > 0 ? word - 12 : 0, word);
        if (number >= 0) starts[ns++] = number;
        starts[ns++] = word;
        m.lim = n;
        for (Py_ssize_t i = 0; i < ns; i++) {
            Py_ssize_t e = euro_match(&m, starts[i]);
            if (e >= 0 && e >= end - 1) {
                if (emit(&found, starts[i], e, self->euro_score) < 0) goto done;
                break;
            }
        }
    }
    result = found_list(&found);
    goto done;
empty:
    result = PyList_New(0);
done:
    PyMem_Free(hits.items);
    PyMem_Free(anchors);
    PyMem_Free(spans);
    PyMem_Free(found.items);
    PyMem_Free(found.slots);
    PyBuffer_Release(&buf);
    return result;
}

/* match(which, text, pos, endpos) -> end or None: STREET (0), NUMBERED (1), EURO (2),
 * BOX (3) ``.match(text, pos, endpos)`` alone (for the tests) */
static PyObject *Finder_match(Finder *self, PyObject *args) {
    int which;
    PyObject *text;
    Py_ssize_t pos, endpos;
    if (!PyArg_ParseTuple(args, "iUnn", &which, &text, &pos, &endpos)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    if (endpos > n) endpos = n;
    if (pos < 0 || pos > endpos || which < 0 || which > 3) Py_RETURN_NONE;
    M m = {self, PyUnicode_KIND(text), PyUnicode_DATA(text), n, endpos};
    Py_ssize_t e = which == 0 ? street_match(&m, pos)
                   : which == 1 ? numbered_match(&m, pos)
                   : which == 2 ? euro_match(&m, pos)
                                : box_match(&m, pos);
    if (e < 0) Py_RETURN_NONE;
    return PyLong_FromSsize_t(e);
}

/* ---- construction -------------------------------------------------------------------- */

static int alt_set(Finder *self, Alt *a, PyObject *word, int dot) {
    if (!PyUnicode_Check(word) || PyUnicode_GET_LENGTH(word) < 1 || PyUnicode_GET_LENGTH(word) > MAXW) {
        PyErr_Format(PyExc_ValueError, "alternatives must be str of 1 to %d characters", MAXW);
        return -1;
    }
    a->len = (int)PyUnicode_GET_LENGTH(word);
    a->dot = dot;
    for (int k = 0; k < a->len; k++) {
        a->raw[k] = PyUnicode_READ_CHAR(word, k);
        a->rep[k] = fold(self, a->raw[k]);
    }
    return 0;
}

static int alt_ascii(Finder *self, Alt *a, const char *w) {
    PyObject *s = PyUnicode_FromString(w);
    if (!s) return -1;
    int rc = alt_set(self, a, s, 0);
    Py_DECREF(s);
    return rc;
}

/* alternatives from a sequence of (word, optional dot) */
static int alts_init(Finder *self, Alts *alts, PyObject *obj) {
    PyObject *seq = PySequence_Fast(obj, "alternatives must be a sequence of (str, bool)");
    if (!seq) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    alts->items = PyMem_Calloc((size_t)n + 1, sizeof *alts->items);
    alts->n = 0;
    if (!alts->items) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *word;
        int dot;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "Up", &word, &dot)
            || alt_set(self, &alts->items[alts->n++], word, dot) < 0) {
            Py_DECREF(seq);
            return -1;
        }
    }
    Py_DECREF(seq);
    return 0;
}

static int bitmap_init(uint8_t *bm, PyObject *obj) {
    Py_buffer b;
    if (PyObject_GetBuffer(obj, &b, PyBUF_SIMPLE) < 0) return -1;
    int rc = 0;
    if (b.len != 8192) {
        PyErr_SetString(PyExc_ValueError, "class bitmaps must be 8192 bytes (the BMP)");
        rc = -1;
    } else {
        memcpy(bm, b.buf, 8192);
    }
    PyBuffer_Release(&b);
    return rc;
}

static int cmp_fold(const void *pa, const void *pb) {
    const FoldPair *a = pa, *b = pb;
    return (a->c > b->c) - (a->c < b->c);
}

/* Finder(expressions, flags, suffixes, euro_prefix, euro_suffix, units, months, measures,
 * fold, classes, params, database=None): the Hyperscan expressions and flags of
 * address_en._db (ids from 0); SUFFIXES; EURO_PREFIX, EURO_SUFFIX and _UNIT's words as
 * (word, optional dot) in order; MONTH's words; the _MEASURE words; ``fold``: {code
 * point: its IGNORECASE representative} for every character the case-insensitive
 * literals can match; ``classes``: three 8192-byte bitmaps (the BMP) of [A-Za-z], [_L]
 * and [_L0-9'’.-] under IGNORECASE; ``params``: (_ANCHOR_AFTER, box before, box after,
 * STREET, NUMBERED, EURO and BOX scores, the STREET and NUMBERED anchor ids,
 * _HEAD_TOKENS). */
static int Finder_init(Finder *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"expressions", "flags", "suffixes", "euro_prefix", "euro_suffix", "units", "months",
                             "measures",    "fold",  "classes",  "params",      "database",    NULL};
    PyObject *exprs, *flags, *suffixes, *prefix, *suffix, *units, *months, *measures, *fold_obj, *classes, *params,
        *database = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOOOOOO!OO|O", kwlist, &exprs, &flags, &suffixes, &prefix,
                                     &suffix, &units, &months, &measures, &PyDict_Type, &fold_obj, &classes, &params,
                                     &database))
        return -1;
    if (self->db || self->fold_hi) {
        PyErr_SetString(PyExc_RuntimeError, "Finder is already initialised");
        return -1;
    }
    if (!PyArg_ParseTuple(params, "nnnddddIIi", &self->anchor_after, &self->box_before, &self->box_after,
                          &self->street_score, &self->numbered_score, &self->euro_score, &self->box_score,
                          &self->street_anchor, &self->numbered_anchor, &self->head_tokens))
        return -1;
    /* the fold table first: the alternatives' representatives come from it */
    for (Py_UCS4 c = 0; c < FOLD_DIRECT; c++) self->fold_lo[c] = c;
    Py_ssize_t nf = PyDict_GET_SIZE(fold_obj), pos = 0;
    self->fold_hi = PyMem_Calloc((size_t)nf + 1, sizeof *self->fold_hi);
    if (!self->fold_hi) {
        PyErr_NoMemory();
        return -1;
    }
    PyObject *key, *value;
    while (PyDict_Next(fold_obj, &pos, &key, &value)) {
        unsigned long c = PyLong_AsUnsignedLong(key), r = PyLong_AsUnsignedLong(value);
        if (PyErr_Occurred()) return -1;
        if (c > 0x10FFFF || r > 0x10FFFF) {
            PyErr_SetString(PyExc_ValueError, "fold: code points only");
            return -1;
        }
        if (c < FOLD_DIRECT) self->fold_lo[c] = (Py_UCS4)r;
        else self->fold_hi[self->n_fold_hi++] = (FoldPair){(Py_UCS4)c, (Py_UCS4)r};
    }
    qsort(self->fold_hi, self->n_fold_hi, sizeof *self->fold_hi, cmp_fold);
    PyObject *cf = PySequence_Fast(classes, "classes must be three bitmaps");
    if (!cf) return -1;
    int bad = PySequence_Fast_GET_SIZE(cf) != 3;
    if (bad) PyErr_SetString(PyExc_ValueError, "classes must be three bitmaps");
    else
        bad = bitmap_init(self->ci_alpha, PySequence_Fast_GET_ITEM(cf, 0)) < 0
              || bitmap_init(self->ci_l, PySequence_Fast_GET_ITEM(cf, 1)) < 0
              || bitmap_init(self->ci_w, PySequence_Fast_GET_ITEM(cf, 2)) < 0;
    Py_DECREF(cf);
    if (bad) return -1;
    if (ascii_init(&self->suffixes, suffixes, "suffixes") < 0 || ascii_init(&self->months, months, "months") < 0
        || ascii_init(&self->measures, measures, "measures") < 0 || alts_init(self, &self->prefix, prefix) < 0
        || alts_init(self, &self->suffix, suffix) < 0 || alts_init(self, &self->units, units) < 0)
        return -1;
    /* STREET's directions and BOX's words (inline in the patterns) */
    PyObject *dirs = Py_BuildValue("[ssssssssssss]", "N", "S", "E", "W", "NE", "NW", "SE", "SW", "North", "South",
                                   "East", "West");
    if (!dirs) return -1;
    int rc = ascii_init(&self->dirs, dirs, "directions");
    Py_DECREF(dirs);
    if (rc < 0) return -1;
    static const char *const a2[] = {"PSC", "Unit", "CMR"}, *const a3[] = {"USNS", "USNV", "USS", "USCGC"},
                             *const mil[] = {"APO", "FPO", "DPO"}, *const aep[] = {"A", "E", "P"};
    if (alt_ascii(self, &self->box_p, "P") < 0 || alt_ascii(self, &self->box_o, "O") < 0
        || alt_ascii(self, &self->box_box, "Box") < 0 || alt_ascii(self, &self->box_post, "Post Office Box") < 0
        || alt_ascii(self, &self->box_pobox, "PO Box") < 0 || alt_ascii(self, &self->box_a, "A") < 0)
        return -1;
    for (int k = 0; k < 3; k++)
        if (alt_ascii(self, &self->box_a2[k], a2[k]) < 0 || alt_ascii(self, &self->box_mil[k], mil[k]) < 0
            || alt_ascii(self, &self->box_aep[k], aep[k]) < 0)
            return -1;
    for (int k = 0; k < 4; k++)
        if (alt_ascii(self, &self->box_a3[k], a3[k]) < 0) return -1;
    if (hs_build_from(&self->db, database, exprs, flags, 0, 0) < 0) return -1;
    if (hs_alloc_scratch(self->db, &self->scratch) != HS_SUCCESS) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static PyObject *Finder_serialize(Finder *self, PyObject *unused) { return hs_serialized(self->db); }

static void Finder_dealloc(Finder *self) {
    if (self->scratch) hs_free_scratch(self->scratch);
    if (self->db) hs_free_database(self->db);
    ascii_free(&self->suffixes);
    ascii_free(&self->months);
    ascii_free(&self->measures);
    ascii_free(&self->dirs);
    PyMem_Free(self->prefix.items);
    PyMem_Free(self->suffix.items);
    PyMem_Free(self->units.items);
    PyMem_Free(self->fold_hi);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Finder_methods[] = {
    {"find", (PyCFunction)Finder_find, METH_VARARGS,
     "find(text: str, data: bytes) -> list[tuple[int, int, float]]\n\n"
     "The English addresses in the normalised text (data: its UTF-8), as (start, end, confidence)."},
    {"match", (PyCFunction)Finder_match, METH_VARARGS,
     "match(which, text, pos, endpos): the end of STREET (0), NUMBERED (1), EURO (2) or BOX (3)\n"
     ".match(text, pos, endpos), or None (for tests)."},
    {"serialize", (PyCFunction)Finder_serialize, METH_NOARGS, "The Hyperscan database, for database=."},
    {NULL},
};

static PyTypeObject FinderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "aisec.detect.pii._address_en.Finder",
    .tp_basicsize = sizeof(Finder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "find_english_addresses of aisec.detect.pii.address_en, in C.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Finder_init,
    .tp_dealloc = (destructor)Finder_dealloc,
    .tp_methods = Finder_methods,
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_address_en",
    .m_doc = "The English address finder in C (see _address_en.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__address_en(void) { return hs_module(&module, &FinderType, "Finder"); }
