/*
 * aisec.detect.pii._core: the compiled candidate pass of `PiiDetector`.
 *
 * One Hyperscan scan (the C library, libhs) over the UTF-8 bytes of a normalised text
 * finds the candidates of every pattern recogniser; for the patterns that have a check
 * here, the exact match and its validation (checksum, calendar, context words, score) run
 * in C as well. Everything else is handed back to Python as a candidate, to be confirmed
 * by the recogniser's own `confirm` exactly as without this module; of the international
 * phone candidates only those Python could accept or must validate (CK_PHONE, a filter).
 *
 * The Python recognisers are the reference: each check below reproduces, for its pattern,
 * what `PatternRecognizer.confirm` does with the exact Python regular expression
 * (`finditer` on the candidate's window, the uncut re-match when the window cut a match,
 * the overlap test) and what the recogniser's `accept` decides. tests/detect/
 * test_pii_native.py holds the two to the same findings, on generated text and on
 * randomised text built from the characters these patterns care about.
 *
 * All offsets here are byte offsets; Python maps them to characters. The GIL is held for
 * the whole call, so one scratch space per `Core` is enough.
 */
#include "_hs.h"
#include <string.h>
#include <time.h>

/* ---- check identifiers (the Python side names them; see CHECKS) -------------------- */
enum {
    CK_DEFER = 0,
    CK_ID18,
    CK_ID15,
    CK_MOBILE,
    CK_BANK,
    CK_BANK_SHORT,
    CK_USCC,
    CK_PASSPORT,
    CK_PERMIT,
    CK_PLATE,
    CK_IPV4,
    CK_QQ,
    CK_LANDLINE,
    CK_EMAIL,
    CK_WXID,
    CK_WECHAT,
    CK_IPV6,
    CK_PHONE,
    CK_COUNT
};
static const char *CHECK_NAMES[CK_COUNT] = {
    "defer", "id18", "id15", "mobile", "bank", "bank_short", "uscc",
    "passport", "permit", "plate", "ipv4", "qq", "landline", "email", "wxid", "wechat", "ipv6", "phone",
};

/* ---- word lists the checks use (context words; set by Python) ---------------------- */
enum { W_ID, W_MOBILE, W_BANK, W_PASSPORT, W_PERMIT, W_PLATE, W_VERSION, W_IP, W_LANDLINE, W_COUNT };
static const char *WORDSET_NAMES[W_COUNT] = {
    "id_card", "mobile", "bank_card", "passport", "permit", "car_plate", "ip_version", "ip", "landline",
};

/* ---- finding kinds the checks emit (indexes into KINDS on the Python side) --------- */
enum { K_ID, K_MOBILE, K_BANK, K_USCC, K_PASSPORT, K_PERMIT, K_PLATE, K_IPV4, K_QQ, K_LANDLINE, K_EMAIL,
       K_WECHAT, K_IPV6, K_COUNT };
static const char *KIND_NAMES[K_COUNT] = {
    "pii.cn_id_card", "pii.cn_mobile", "pii.bank_card", "pii.uscc", "pii.passport",
    "pii.hk_macau_permit", "pii.car_plate", "pii.ipv4", "pii.qq", "pii.cn_landline", "pii.email",
    "pii.wechat", "pii.ipv6",
};

typedef struct {
    char *bytes; /* lower-case UTF-8 */
    Py_ssize_t len;
} Word;

typedef struct {
    Word *words;
    Py_ssize_t n;
} WordSet;

typedef struct {
    PyObject_HEAD
    hs_database_t *db;
    hs_scratch_t *scratch;
    int n_patterns;
    int *checks;       /* per pattern id: CK_* */
    int *before;       /* per pattern id: window widening, characters before */
    int *after;        /* ... and after */
    int *reach;        /* per pattern id: the most characters a candidate match spans */
    uint32_t *yields;  /* per pattern id: bits (1 << K_*) of the kinds its candidates yield to */
    WordSet words[W_COUNT];
    uint8_t *regions;  /* bitmap of known six-digit division codes (1,000,000 bits) */
    PyObject *finding_type; /* for `find`: the Finding class ... */
    PyObject *reporters;    /* ... and per kind (KINDS) a (kind, detector, version) tuple */
    /* for CK_PHONE: per ASCII character of the phone context words, the code points that
     * `re` matches it with under IGNORECASE (from Python); has_folds 0: none given, and
     * the phone filter keeps every candidate */
    Py_UCS4 *folds[128];
    int n_folds[128];
    int has_folds;
    uint8_t word_start[128];  /* per ASCII byte: may a context word start there */
    Py_UCS4 wide_starts[16];  /* the other characters a context word may start with */
    int n_wide_starts;
} Core;

/* one finding or deferred candidate, in candidate order */
typedef struct {
    int code;          /* >= 0: kind (K_*); < 0: -1 - pattern id (deferred) */
    Py_ssize_t start, end;
    double score;
} Out;

typedef struct {
    Out *items;
    size_t n, cap;
} Outs;

/* the text being checked */
typedef struct {
    const uint8_t *d;
    Py_ssize_t n;
    const Core *core;
    int year, month, day; /* today, for birth dates */
} Text;

/* ---- small helpers ----------------------------------------------------------------- */

static inline int is_digit(int c) { return c >= '0' && c <= '9'; }
static inline int is_alpha(int c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
static inline int is_alnum(int c) { return is_digit(c) || is_alpha(c); }
static inline int is_cont(uint8_t b) { return (b & 0xC0) == 0x80; }

/* the start of the code point after the one at ``p`` (``p < n``) */
static inline Py_ssize_t next_cp(const Text *t, Py_ssize_t p) {
    p++;
    while (p < t->n && is_cont(t->d[p])) p++;
    return p;
}

/* the start of the code point before ``p`` (``p > 0``) */
static inline Py_ssize_t prev_cp(const Text *t, Py_ssize_t p) {
    p--;
    while (p > 0 && is_cont(t->d[p])) p--;
    return p;
}

/* byte at ``p`` if ``p`` is inside [0, limit), else -1 (a look-ahead sees nothing there) */
static inline int at(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    return p < limit ? t->d[p] : -1;
}

/* does the code point at ``p`` (< limit) equal the UTF-8 sequence ``s``? */
static inline int cp_is(const Text *t, Py_ssize_t p, Py_ssize_t limit, const char *s) {
    Py_ssize_t len = (Py_ssize_t)strlen(s);
    return p + len <= limit && memcmp(t->d + p, s, (size_t)len) == 0;
}

static int outs_push(Outs *o, int code, Py_ssize_t start, Py_ssize_t end, double score) {
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        Out *items = PyMem_Realloc(o->items, cap * sizeof(Out));
        if (!items) return -1;
        o->items = items;
        o->cap = cap;
    }
    o->items[o->n++] = (Out){code, start, end, score};
    return 0;
}

/* ``ctx.window(start, end, before)`` of the Python side: up to ``before`` characters
 * before ``start`` through ``end``, cut at the batch separator U+FFFF (EF BF BF). */
static Py_ssize_t window_start(const Text *t, Py_ssize_t start, int before) {
    Py_ssize_t lo = start;
    for (int i = 0; i < before && lo > 0; i++) lo = prev_cp(t, lo);
    for (Py_ssize_t p = start - 3; p >= lo; p--) {
        if (t->d[p] == 0xEF && t->d[p + 1] == 0xBF && t->d[p + 2] == 0xBF) return p + 3;
    }
    return lo;
}

/* ``has_context(window, words)``: any word in the window, ASCII letters compared
 * case-insensitively (``window.lower()``; the words are lower case) */
static int has_word(const Text *t, Py_ssize_t lo, Py_ssize_t hi, const WordSet *ws) {
    for (Py_ssize_t w = 0; w < ws->n; w++) {
        const uint8_t *word = (const uint8_t *)ws->words[w].bytes;
        Py_ssize_t len = ws->words[w].len;
        for (Py_ssize_t p = lo; p + len <= hi; p++) {
            Py_ssize_t k = 0;
            while (k < len) {
                int c = t->d[p + k];
                if (c >= 'A' && c <= 'Z') c += 32;
                if (c != word[k]) break;
                k++;
            }
            if (k == len) return 1;
        }
    }
    return 0;
}

static int context(const Text *t, Py_ssize_t start, Py_ssize_t end, int set) {
    return has_word(t, window_start(t, start, 16), end, &t->core->words[set]);
}

/* ---- validators (checks.py) -------------------------------------------------------- */

static const char PROVINCES[][3] = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
    "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
    "63", "64", "65", "71", "81", "82", "83",
};

static int province_ok(const char *n) {
    for (size_t i = 0; i < sizeof PROVINCES / sizeof PROVINCES[0]; i++)
        if (n[0] == PROVINCES[i][0] && n[1] == PROVINCES[i][1]) return 1;
    return 0;
}

static int num(const char *s, int len) {
    int v = 0;
    for (int i = 0; i < len; i++) v = v * 10 + (s[i] - '0');
    return v;
}

/* a real calendar date between 1900-01-01 and today (``valid_birth_date``) */
static int birth_date_ok(const Text *t, int y, int m, int d) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > days[m - 1] + (m == 2 && leap)) return 0;
    if (y != t->year) return y < t->year;
    if (m != t->month) return m < t->month;
    return d <= t->day;
}

/* ``valid_id_card`` on 18 (17 digits + check) or 15 characters, upper case */
static int id_card_ok(const Text *t, const char *n, int len) {
    static const int weights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char check[] = "10X98765432";
    if (len == 18) {
        for (int i = 0; i < 17; i++)
            if (!is_digit(n[i])) return 0;
        if (!province_ok(n) || !birth_date_ok(t, num(n + 6, 4), num(n + 10, 2), num(n + 12, 2)))
            return 0;
        int total = 0;
        for (int i = 0; i < 17; i++) total += (n[i] - '0') * weights[i];
        return check[total % 11] == n[17];
    }
    if (len == 15) {
        for (int i = 0; i < 15; i++)
            if (!is_digit(n[i])) return 0;
        return province_ok(n) && birth_date_ok(t, 1900 + num(n + 6, 2), num(n + 8, 2), num(n + 10, 2));
    }
    return 0;
}

static int luhn_ok(const char *digits, int len) {
    int total = 0;
    for (int i = 0; i < len; i++) {
        int d = digits[len - 1 - i] - '0';
        if (i % 2 == 1) {
            d *= 2;
            if (d > 9) d -= 9;
        }
        total += d;
    }
    return total % 10 == 0;
}

static const char USCC_ALPHABET[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
static const char ORG_ALPHABET[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

static int index_of(const char *alphabet, char c) {
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

static int uscc_ok(const char *code) {
    static const int weights[] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    for (int i = 2; i < 8; i++)
        if (!is_digit(code[i])) return 0;
    int total = 0;
    for (int i = 0; i < 17; i++) {
        int v = index_of(USCC_ALPHABET, code[i]);
        if (v < 0) return 0;
        total += v * weights[i];
    }
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17];
}

static int org_code_ok(const char *code9) {
    static const int weights[] = {3, 7, 9, 10, 5, 8, 4, 2};
    int total = 0;
    for (int i = 0; i < 8; i++) {
        int v = index_of(ORG_ALPHABET, code9[i]);
        if (v < 0) return 0;
        total += v * weights[i];
    }
    int c = 11 - total % 11;
    char expected = c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    return code9[8] == expected;
}

/* ---- exact patterns: the end of a match at ``p`` that may not run past ``limit``,
 * or -1; look-behinds see the real text, look-aheads stop at ``limit`` like Python's
 * ``endpos``. Each mirrors the ``exact`` regex of its recogniser, in its backtracking
 * order where that matters. ``g`` receives group 1 where the pattern has one. ------- */

typedef struct {
    Py_ssize_t start, end;
} Group;

static Py_ssize_t digits_at(const Text *t, Py_ssize_t p, Py_ssize_t limit, int count) {
    for (int i = 0; i < count; i++, p++)
        if (!is_digit(at(t, p, limit))) return -1;
    return p;
}

static inline Py_ssize_t opt_sep(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    int c = at(t, p, limit);
    return (c == ' ' || c == '-') ? p + 1 : p;
}

/* (?<![0-9])[1-8][0-9]{5}[ \-]?(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9][ \-]?[0-9]{3}[0-9Xx]
 * (?![0-9A-Za-z]) -- each optional separator is taken when present: without it the next
 * element would have to match the separator itself */
static Py_ssize_t m_id18(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_digit(t->d[p - 1])) return -1;
    int c = at(t, p, limit);
    if (c < '1' || c > '8') return -1;
    if ((p = digits_at(t, p + 1, limit, 5)) < 0) return -1;
    p = opt_sep(t, p, limit);
    int a = at(t, p, limit), b = at(t, p + 1, limit);
    if (!((a == '1' && (b == '8' || b == '9')) || (a == '2' && b == '0'))) return -1;
    if ((p = digits_at(t, p + 2, limit, 2)) < 0) return -1;
    c = at(t, p, limit);
    if (c != '0' && c != '1') return -1;
    if (!is_digit(at(t, p + 1, limit))) return -1;
    c = at(t, p + 2, limit);
    if (c < '0' || c > '3') return -1;
    if (!is_digit(at(t, p + 3, limit))) return -1;
    p = opt_sep(t, p + 4, limit);
    if ((p = digits_at(t, p, limit, 3)) < 0) return -1;
    c = at(t, p, limit);
    if (!(is_digit(c) || c == 'X' || c == 'x')) return -1;
    p++;
    return is_alnum(at(t, p, limit)) ? -1 : p;
}

/* (?<![0-9])[1-8][0-9]{5}[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}(?![0-9]) */
static Py_ssize_t m_id15(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_digit(t->d[p - 1])) return -1;
    int c = at(t, p, limit);
    if (c < '1' || c > '8') return -1;
    if (digits_at(t, p + 1, limit, 7) < 0) return -1;
    c = at(t, p + 8, limit);
    if (c != '0' && c != '1') return -1;
    if (!is_digit(at(t, p + 9, limit))) return -1;
    c = at(t, p + 10, limit);
    if (c < '0' || c > '3') return -1;
    if (digits_at(t, p + 11, limit, 4) < 0) return -1;
    p += 15;
    return is_digit(at(t, p, limit)) ? -1 : p;
}

/* 1(?:3[0-9]|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8[0-9]|9[0-35-9]) */
static int mobile_segment(int a, int b) {
    switch (a) {
    case '3': case '8': return is_digit(b);
    case '4': return b >= '5' && b <= '9';
    case '5': case '9': return is_digit(b) && b != '4';
    case '6': return b == '2' || b == '5' || b == '6' || b == '7';
    case '7': return b >= '0' && b <= '8';
    default: return 0;
    }
}

/* after the optional prefix: SEG([ \-]?)[0-9]{4}\1[0-9]{4}(?![0-9A-Za-z]) */
static Py_ssize_t mobile_rest(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    if (at(t, p, limit) != '1' || !mobile_segment(at(t, p + 1, limit), at(t, p + 2, limit)))
        return -1;
    p += 3;
    /* the separator group is greedy: with the separator first, then without */
    int c = at(t, p, limit);
    for (int take = (c == ' ' || c == '-'); take >= 0; take--) {
        Py_ssize_t q = p + take;
        if ((q = digits_at(t, q, limit, 4)) < 0) continue;
        if (take) {
            if (at(t, q, limit) != c) continue;
            q++;
        }
        if ((q = digits_at(t, q, limit, 4)) < 0) continue;
        if (is_alnum(at(t, q, limit))) continue;
        return q;
    }
    return -1;
}

/* (?<![0-9])(?:(?:\+|00)86[ \-]?)?SEG([ \-]?)[0-9]{4}\1[0-9]{4}(?![0-9A-Za-z]) */
static Py_ssize_t m_mobile(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_digit(t->d[p - 1])) return -1;
    Py_ssize_t q = -1;
    int c = at(t, p, limit);
    if (c == '+') q = p + 1;
    else if (c == '0' && at(t, p + 1, limit) == '0') q = p + 2;
    if (q >= 0 && at(t, q, limit) == '8' && at(t, q + 1, limit) == '6') {
        /* the prefix, with its optional separator taken first */
        q += 2;
        int s = at(t, q, limit);
        if (s == ' ' || s == '-') {
            Py_ssize_t e = mobile_rest(t, q + 1, limit);
            if (e >= 0) return e;
        }
        Py_ssize_t e = mobile_rest(t, q, limit);
        if (e >= 0) return e;
    }
    return mobile_rest(t, p, limit);
}

/* [2-9][0-9]{3}(?:[ \-]?[0-9]){12,15}(?![0-9]) after (?<![0-9]) -- the repetition is
 * greedy, then gives back one at a time until the look-ahead holds */
static Py_ssize_t m_bank(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_digit(t->d[p - 1])) return -1;
    int c = at(t, p, limit);
    if (c < '2' || c > '9') return -1;
    if ((p = digits_at(t, p + 1, limit, 3)) < 0) return -1;
    Py_ssize_t ends[16];
    int reps = 0;
    while (reps < 15) {
        int a = at(t, p, limit);
        if ((a == ' ' || a == '-') && is_digit(at(t, p + 1, limit))) p += 2;
        else if (is_digit(a)) p += 1;
        else break;
        ends[++reps] = p;
    }
    for (int r = reps; r >= 12; r--)
        if (!is_digit(at(t, ends[r], limit))) return ends[r];
    return -1;
}

/* (?<![0-9])3[0-9]{3}[ \-]?[0-9]{6}[ \-]?[0-9]{4,5}(?![0-9]) */
static Py_ssize_t m_bank_short(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_digit(t->d[p - 1])) return -1;
    if (at(t, p, limit) != '3') return -1;
    if ((p = digits_at(t, p + 1, limit, 3)) < 0) return -1;
    p = opt_sep(t, p, limit);
    if ((p = digits_at(t, p, limit, 6)) < 0) return -1;
    p = opt_sep(t, p, limit);
    if ((p = digits_at(t, p, limit, 4)) < 0) return -1;
    if (is_digit(at(t, p, limit))) {
        if (!is_digit(at(t, p + 1, limit))) return p + 1; /* five digits */
        return -1;                                        /* four would be followed by one */
    }
    return p;
}

static int uscc_char(int c) {
    return is_digit(c) || (c >= 'A' && c <= 'Y' && c != 'I' && c != 'O' && c != 'S' && c != 'V' && c != 'Z');
}

/* (?<![0-9A-Za-z])[C]{2}[0-9]{6}[C]{10}(?![0-9A-Za-z]), C = [0-9A-HJ-NPQRTUWXY] */
static Py_ssize_t m_uscc(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_alnum(t->d[p - 1])) return -1;
    for (int i = 0; i < 18; i++) {
        int c = at(t, p + i, limit);
        if (i >= 2 && i < 8 ? !is_digit(c) : !uscc_char(c)) return -1;
    }
    p += 18;
    return is_alnum(at(t, p, limit)) ? -1 : p;
}

static int plate_letter(int c) { return c >= 'A' && c <= 'Z' && c != 'I' && c != 'O'; }

/* after a series letter at ``p``: [0-9]{8}, or with ``letter`` also [A-HJ-NP-Z][0-9]{7},
 * then (?![0-9A-Za-z]); the end, or -1 */
static Py_ssize_t doc_number(const Text *t, Py_ssize_t p, Py_ssize_t limit, int letter) {
    int d1 = at(t, p + 1, limit);
    if (!(is_digit(d1) || (letter && plate_letter(d1)))) return -1;
    return digits_at(t, p + 2, limit, 7) >= 0 && !is_alnum(at(t, p + 9, limit)) ? p + 9 : -1;
}

/* (?<![0-9A-Za-z])(?:E[0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|G[0-9]{8})(?![0-9A-Za-z]) */
static Py_ssize_t m_passport(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_alnum(t->d[p - 1])) return -1;
    int c = at(t, p, limit);
    return c == 'E' || c == 'G' ? doc_number(t, p, limit, c == 'E') : -1;
}

/* (?<![0-9A-Za-z])(?:C[0-9]{8}|C[A-HJ-NP-Z][0-9]{7}|W[0-9]{8}|[HM][0-9]{8}(?:[0-9]{2})?)
 * (?![0-9A-Za-z]) */
static Py_ssize_t m_permit(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_alnum(t->d[p - 1])) return -1;
    int c = at(t, p, limit);
    if (c == 'C' || c == 'W') return doc_number(t, p, limit, c == 'C');
    if (c == 'H' || c == 'M') {
        if (digits_at(t, p + 1, limit, 8) < 0) return -1;
        if (digits_at(t, p + 9, limit, 2) >= 0 && !is_alnum(at(t, p + 11, limit))) return p + 11;
        return is_alnum(at(t, p + 9, limit)) ? -1 : p + 9;
    }
    return -1;
}

static const char *PLATE_PROVINCES[] = {
    "京", "津", "沪", "渝", "冀", "豫", "云", "辽", "黑", "湘", "皖", "鲁", "新", "苏", "浙", "赣",
    "鄂", "桂", "甘", "晋", "蒙", "陕", "吉", "闽", "贵", "粤", "青", "藏", "川", "宁", "琼", "使", "领",
};
static const char *PLATE_LAST[] = {"挂", "学", "警", "港", "澳"};

static Py_ssize_t cp_in(const Text *t, Py_ssize_t p, Py_ssize_t limit, const char **set, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (cp_is(t, p, limit, set[i])) return p + (Py_ssize_t)strlen(set[i]);
    return -1;
}

/* the body after province, letter and separator: the three alternatives in order,
 * each followed by (?![0-9A-Za-z]) */
static Py_ssize_t plate_body(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    int c0 = at(t, p, limit);
    /* [DF][A-HJ-NP-Z0-9][0-9]{4} */
    if ((c0 == 'D' || c0 == 'F') && (plate_letter(at(t, p + 1, limit)) || is_digit(at(t, p + 1, limit)))
        && digits_at(t, p + 2, limit, 4) >= 0 && !is_alnum(at(t, p + 6, limit)))
        return p + 6;
    /* [0-9]{5}[DF] */
    if (digits_at(t, p, limit, 5) >= 0) {
        int c5 = at(t, p + 5, limit);
        if ((c5 == 'D' || c5 == 'F') && !is_alnum(at(t, p + 6, limit))) return p + 6;
    }
    /* [A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳] */
    for (int i = 0; i < 4; i++) {
        int c = at(t, p + i, limit);
        if (!(plate_letter(c) || is_digit(c))) return -1;
    }
    Py_ssize_t q = p + 4;
    int c4 = at(t, q, limit);
    if (plate_letter(c4) || is_digit(c4)) q += 1;
    else if ((q = cp_in(t, q, limit, PLATE_LAST, 5)) < 0) return -1;
    return is_alnum(at(t, q, limit)) ? -1 : q;
}

/* [province][A-HJ-NP-Z][·\- ]?(body)(?![0-9A-Za-z]) -- no look-behind */
static Py_ssize_t m_plate(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    Py_ssize_t q = cp_in(t, p, limit, PLATE_PROVINCES, sizeof PLATE_PROVINCES / sizeof *PLATE_PROVINCES);
    if (q < 0 || !plate_letter(at(t, q, limit))) return -1;
    q++;
    Py_ssize_t sep = -1;
    int c = at(t, q, limit);
    if (c == '-' || c == ' ') sep = q + 1;
    else if (cp_is(t, q, limit, "\xc2\xb7")) sep = q + 2; /* · U+00B7 */
    if (sep >= 0) {
        Py_ssize_t e = plate_body(t, sep, limit);
        if (e >= 0) return e;
    }
    return plate_body(t, q, limit);
}

/* one octet at ``p``: the lengths to try, in the regex's order (25[0-5] | 2[0-4][0-9] |
 * 1[0-9][0-9] | [1-9]?[0-9]); returns how many, in ``lens`` */
static int octet_lengths(const Text *t, Py_ssize_t p, Py_ssize_t limit, int lens[3]) {
    int a = at(t, p, limit), b = at(t, p + 1, limit), c = at(t, p + 2, limit);
    int n = 0;
    if ((a == '2' && b == '5' && c >= '0' && c <= '5') || (a == '2' && b >= '0' && b <= '4' && is_digit(c))
        || (a == '1' && is_digit(b) && is_digit(c)))
        lens[n++] = 3;
    if (a >= '1' && a <= '9' && is_digit(b)) lens[n++] = 2;
    if (is_digit(a)) lens[n++] = 1;
    return n;
}

/* OCT(?:\.OCT){3}(?![0-9]|\.[0-9]) from ``p``, octet ``k`` onwards (backtracking) */
static Py_ssize_t ipv4_from(const Text *t, Py_ssize_t p, Py_ssize_t limit, int k) {
    int lens[3];
    int n = octet_lengths(t, p, limit, lens);
    for (int i = 0; i < n; i++) {
        Py_ssize_t q = p + lens[i];
        if (k == 3) {
            int c = at(t, q, limit);
            if (is_digit(c) || (c == '.' && is_digit(at(t, q + 1, limit)))) continue;
            return q;
        }
        if (at(t, q, limit) != '.') continue;
        Py_ssize_t e = ipv4_from(t, q + 1, limit, k + 1);
        if (e >= 0) return e;
    }
    return -1;
}

/* (?<![0-9.])OCT(?:\.OCT){3}(?![0-9]|\.[0-9]) */
static Py_ssize_t m_ipv4(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && (is_digit(t->d[p - 1]) || t->d[p - 1] == '.')) return -1;
    return ipv4_from(t, p, limit, 0);
}

/* the positions (set bits, offsets from ``p``) reachable through
 * [ ]?(?:号码|号|帐号|账号|id|ID)?[ ]?(?:[:=]|是|为)?[ ]? -- at most one of them can be
 * followed by a digit, so the order the regex tries them in does not matter here */
static Py_ssize_t qq_digits_start(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    static const char *labels[] = {"号码", "号", "帐号", "账号", "id", "ID"};
    static const char *marks[] = {":", "=", "是", "为"};
    /* at most 2 * 3 * 2 * 2 * 2 positions: two of the labels can match at one place */
    enum { MAX = 64 };
    Py_ssize_t cur[MAX], nxt[MAX];
    int nc = 0;
    cur[nc++] = p;
    for (int stage = 0; stage < 5; stage++) {
        int nn = 0;
        for (int i = 0; i < nc; i++) {
            Py_ssize_t q = cur[i];
            if (nn < MAX) nxt[nn++] = q; /* every element is optional */
            if (stage == 0 || stage == 2 || stage == 4) {
                if (at(t, q, limit) == ' ' && nn < MAX) nxt[nn++] = q + 1;
            } else {
                const char **set = stage == 1 ? labels : marks;
                size_t n = stage == 1 ? 6 : 4;
                for (size_t k = 0; k < n; k++)
                    if (cp_is(t, q, limit, set[k]) && nn < MAX) nxt[nn++] = q + (Py_ssize_t)strlen(set[k]);
            }
        }
        memcpy(cur, nxt, (size_t)nn * sizeof *cur);
        nc = nn;
    }
    for (int i = 0; i < nc; i++) {
        int c = at(t, cur[i], limit);
        if (c >= '1' && c <= '9') return cur[i];
    }
    return -1;
}

/* (?:[Qq]{2}|扣扣)SEP([1-9][0-9]{4,10})(?![0-9]) */
static Py_ssize_t m_qq(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    Py_ssize_t q;
    int a = at(t, p, limit), b = at(t, p + 1, limit);
    if ((a == 'Q' || a == 'q') && (b == 'Q' || b == 'q')) q = p + 2;
    else if (cp_is(t, p, limit, "扣扣")) q = p + 6;
    else return -1;
    Py_ssize_t s = qq_digits_start(t, q, limit);
    if (s < 0) return -1;
    Py_ssize_t e = s + 1;
    while (e - s < 11 && is_digit(at(t, e, limit))) e++;
    if (e - s < 5 || is_digit(at(t, e, limit))) return -1;
    g->start = s;
    g->end = e;
    return e;
}

/* ---- landline: (?<![0-9])(?:\+86[ \-]?\(?0?|\(?0)AREA\)?[ \-]?[2-9][0-9]{2,3}[ \-]?[0-9]{4}
 * (?:(?:-|转|ext\.?)[0-9]{1,5})?(?![0-9]), AREA = (?:10|2[0-9]|[3-9][0-9]{2}); every
 * optional element greedy (with it first), backtracking in that order */

static inline int is_sep(int c) { return c == ' ' || c == '-'; }

/* [0-9]{1,5}(?![0-9]) at ``p`` (greedy, so only the whole run can be followed by a
 * non-digit) */
static Py_ssize_t short_digits(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    Py_ssize_t e = p;
    while (e - p < 5 && is_digit(at(t, e, limit))) e++;
    return (e > p && !is_digit(at(t, e, limit))) ? e : -1;
}

static Py_ssize_t landline_ext(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    if (at(t, p, limit) == '-') return short_digits(t, p + 1, limit);
    if (cp_is(t, p, limit, "转")) return short_digits(t, p + 3, limit);
    if (cp_is(t, p, limit, "ext")) {
        Py_ssize_t e = at(t, p + 3, limit) == '.' ? short_digits(t, p + 4, limit) : -1;
        return e >= 0 ? e : short_digits(t, p + 3, limit);
    }
    return -1;
}

static Py_ssize_t landline_area(const Text *t, Py_ssize_t q, Py_ssize_t limit) {
    int a = at(t, q, limit), b = at(t, q + 1, limit);
    if (a == '1' && b == '0') return q + 2;
    if (a == '2' && is_digit(b)) return q + 2;
    if (a >= '3' && a <= '9' && is_digit(b) && is_digit(at(t, q + 2, limit))) return q + 3;
    return -1;
}

static Py_ssize_t landline_rest(const Text *t, Py_ssize_t q, Py_ssize_t limit) {
    Py_ssize_t r = landline_area(t, q, limit);
    if (r < 0) return -1;
    for (int paren = at(t, r, limit) == ')'; paren >= 0; paren--) {
        Py_ssize_t r1 = r + paren;
        for (int s1 = is_sep(at(t, r1, limit)); s1 >= 0; s1--) {
            Py_ssize_t r2 = r1 + s1;
            int c = at(t, r2, limit);
            if (c < '2' || c > '9') continue;
            for (int local = 3; local >= 2; local--) {
                if (digits_at(t, r2 + 1, limit, local) < 0) continue;
                Py_ssize_t r3 = r2 + 1 + local;
                for (int s2 = is_sep(at(t, r3, limit)); s2 >= 0; s2--) {
                    Py_ssize_t r4 = digits_at(t, r3 + s2, limit, 4);
                    if (r4 < 0) continue;
                    Py_ssize_t e = landline_ext(t, r4, limit);
                    if (e >= 0) return e;
                    if (!is_digit(at(t, r4, limit))) return r4;
                }
            }
        }
    }
    return -1;
}

static Py_ssize_t m_landline(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && is_digit(t->d[p - 1])) return -1;
    if (at(t, p, limit) == '+' && at(t, p + 1, limit) == '8' && at(t, p + 2, limit) == '6') {
        Py_ssize_t q = p + 3;
        for (int s = is_sep(at(t, q, limit)); s >= 0; s--) {
            Py_ssize_t q1 = q + s;
            for (int paren = at(t, q1, limit) == '('; paren >= 0; paren--) {
                Py_ssize_t q2 = q1 + paren;
                for (int zero = at(t, q2, limit) == '0'; zero >= 0; zero--) {
                    Py_ssize_t e = landline_rest(t, q2 + zero, limit);
                    if (e >= 0) return e;
                }
            }
        }
    }
    for (int paren = at(t, p, limit) == '('; paren >= 0; paren--) {
        if (at(t, p + paren, limit) != '0') continue;
        Py_ssize_t e = landline_rest(t, p + paren + 1, limit);
        if (e >= 0) return e;
    }
    return -1;
}

/* ---- e-mail: (?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9]
 * (?:[A-Za-z0-9\-]{0,62}\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-]). None of the repeated classes
 * holds the character that ends it (@ or .), so each repetition can only stop where its
 * run stops; what backtracks is the number of domain labels, from the most down. */

static inline int email_local(int c) {
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
static inline int email_label(int c) { return is_alnum(c) || c == '-'; }

static Py_ssize_t m_email(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    if (p > 0 && email_local(t->d[p - 1])) return -1;
    if (!is_alnum(at(t, p, limit))) return -1;
    Py_ssize_t q = p + 1;
    while (q - (p + 1) < 63 && email_local(at(t, q, limit))) q++;
    if (at(t, q, limit) != '@' || !is_alnum(at(t, q + 1, limit))) return -1;
    /* the label starts after each dot of the greedy (?:label\.)+ */
    Py_ssize_t starts[130];
    int k = 0;
    Py_ssize_t r = q + 2;
    for (;;) {
        Py_ssize_t e = r;
        while (e - r < 62 && email_label(at(t, e, limit))) e++;
        if (at(t, e, limit) != '.' || k == 128) break;
        starts[++k] = r = e + 1;
    }
    for (; k >= 1; k--) {
        Py_ssize_t s = starts[k], e = s;
        while (e - s < 24 && is_alpha(at(t, e, limit))) e++;
        if (e - s >= 2 && !email_label(at(t, e, limit))) return e;
    }
    return -1;
}

/* ---- WeChat. wxid: (?<![A-Za-z0-9_])(wxid_[A-Za-z0-9]{6,24})(?![A-Za-z0-9_]) */

static Py_ssize_t m_wxid(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    if (p > 0 && (is_alnum(t->d[p - 1]) || t->d[p - 1] == '_')) return -1;
    if (!cp_is(t, p, limit, "wxid_")) return -1;
    Py_ssize_t s = p + 5, e = s;
    while (e - s < 24 && is_alnum(at(t, e, limit))) e++;
    int c = at(t, e, limit);
    if (e - s < 6 || is_alnum(c) || c == '_') return -1;
    g->start = p;
    g->end = e;
    return e;
}

static inline int wechat_char(int c) { return is_alnum(c) || c == '_' || c == '-'; }

/* ([A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-]) */
static Py_ssize_t wechat_id(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    if (!is_alpha(at(t, p, limit))) return -1;
    Py_ssize_t e = p + 1;
    while (e - (p + 1) < 19 && wechat_char(at(t, e, limit))) e++;
    if (e - (p + 1) < 5 || wechat_char(at(t, e, limit))) return -1;
    g->start = p;
    g->end = e;
    return e;
}

static const char *IM_LABELS[] = {"号码", "号", "帐号", "账号", "id", "ID"};
static const char *IM_MARKS[] = {":", "=", "是", "为"};

/* [ ]?(?:号码|号|帐号|账号|id|ID)?[ ]?(?:[:=]|是|为)?[ ]? then the ID, depth first in the
 * regex's order (each optional element taken first; the alternatives in their order):
 * the labels "id"/"ID" could also be the start of the ID itself */
static Py_ssize_t wechat_sep(const Text *t, Py_ssize_t p, Py_ssize_t limit, int stage, Group *g) {
    if (stage == 5) return wechat_id(t, p, limit, g);
    Py_ssize_t e;
    if (stage == 0 || stage == 2 || stage == 4) {
        if (at(t, p, limit) == ' ' && (e = wechat_sep(t, p + 1, limit, stage + 1, g)) >= 0) return e;
    } else {
        const char **set = stage == 1 ? IM_LABELS : IM_MARKS;
        size_t n = stage == 1 ? 6 : 4;
        for (size_t k = 0; k < n; k++)
            if (cp_is(t, p, limit, set[k])
                && (e = wechat_sep(t, p + (Py_ssize_t)strlen(set[k]), limit, stage + 1, g)) >= 0)
                return e;
    }
    return wechat_sep(t, p, limit, stage + 1, g);
}

/* (?:(?:微信|[Ww]e[Cc]hat|[Ww]eixin|[Vv]信)SEP|(?<![A-Za-z])[VvWw][Xx]号?[ ]?(?:[:=]|是|为)[ ]?)
 * ([A-Za-z][A-Za-z0-9_\-]{5,19})(?![A-Za-z0-9_\-]) */
static Py_ssize_t m_wechat(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    int a = at(t, p, limit);
    Py_ssize_t q = -1;
    if (cp_is(t, p, limit, "微信")) q = p + 6;
    else if ((a == 'W' || a == 'w') && at(t, p + 1, limit) == 'e') {
        int c = at(t, p + 2, limit);
        if ((c == 'C' || c == 'c') && cp_is(t, p + 3, limit, "hat")) q = p + 6;
        else if (cp_is(t, p + 2, limit, "ixin")) q = p + 6;
    } else if ((a == 'V' || a == 'v') && cp_is(t, p + 1, limit, "信")) q = p + 4;
    if (q >= 0) {
        Py_ssize_t e = wechat_sep(t, q, limit, 0, g);
        if (e >= 0) return e;
    }
    /* the short form: vx/wx, then a mark that is not optional */
    if (p > 0 && is_alpha(t->d[p - 1])) return -1;
    int x = at(t, p + 1, limit);
    if (!(a == 'V' || a == 'v' || a == 'W' || a == 'w') || !(x == 'X' || x == 'x')) return -1;
    Py_ssize_t r = p + 2;
    for (int hao = cp_is(t, r, limit, "号"); hao >= 0; hao--) {
        Py_ssize_t r1 = r + 3 * hao;
        for (int sp = at(t, r1, limit) == ' '; sp >= 0; sp--) {
            Py_ssize_t r2 = r1 + sp;
            for (size_t k = 0; k < 4; k++) {
                if (!cp_is(t, r2, limit, IM_MARKS[k])) continue;
                Py_ssize_t r3 = r2 + (Py_ssize_t)strlen(IM_MARKS[k]);
                for (int sp2 = at(t, r3, limit) == ' '; sp2 >= 0; sp2--) {
                    Py_ssize_t e = wechat_id(t, r3 + sp2, limit, g);
                    if (e >= 0) return e;
                }
            }
        }
    }
    return -1;
}

/* ---- IPv6: (?<![0-9A-Za-z])(?<![0-9A-Fa-f]:)(?<!::)(?!:(?!:))(?:(?:H)?:){2,7}(?:V4|H)?
 * (?![0-9A-Za-z:]|\.[0-9]), H = [0-9A-Fa-f]{1,4}, V4 as above. Each (?:H)?: step is
 * determined by the text (a hex run of one to four followed by a colon, or a colon), so
 * what backtracks is the number of steps, then the tail: V4 (every way, in order), H,
 * nothing. */

static inline int is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static Py_ssize_t hex_run(const Text *t, Py_ssize_t p, Py_ssize_t limit) {
    Py_ssize_t e = p;
    while (is_hex(at(t, e, limit))) e++;
    return e - p;
}

static int ipv6_after(const Text *t, Py_ssize_t e, Py_ssize_t limit) {
    int c = at(t, e, limit);
    return !(is_alnum(c) || c == ':' || (c == '.' && is_digit(at(t, e + 1, limit))));
}

/* the ends of OCT(?:\.OCT){3} from ``p`` in the regex's order, into ``ends`` */
static void ipv4_ends(const Text *t, Py_ssize_t p, Py_ssize_t limit, int k, Py_ssize_t *ends, int *n) {
    int lens[3];
    int m = octet_lengths(t, p, limit, lens);
    for (int i = 0; i < m; i++) {
        Py_ssize_t q = p + lens[i];
        if (k == 3) ends[(*n)++] = q;
        else if (at(t, q, limit) == '.') ipv4_ends(t, q + 1, limit, k + 1, ends, n);
    }
}

static Py_ssize_t m_ipv6(const Text *t, Py_ssize_t p, Py_ssize_t limit, Group *g) {
    (void)g;
    const uint8_t *d = t->d;
    if (p > 0 && is_alnum(d[p - 1])) return -1;
    if (p > 1 && d[p - 1] == ':' && (is_hex(d[p - 2]) || d[p - 2] == ':')) return -1;
    if (at(t, p, limit) == ':' && at(t, p + 1, limit) != ':') return -1;
    Py_ssize_t pos[8];
    int m = 0;
    pos[0] = p;
    while (m < 7) {
        Py_ssize_t q = pos[m], r = hex_run(t, q, limit);
        if (r >= 1 && r <= 4 && at(t, q + r, limit) == ':') pos[++m] = q + r + 1;
        else if (r == 0 && at(t, q, limit) == ':') pos[++m] = q + 1;
        else break;
    }
    for (int c = m; c >= 2; c--) {
        Py_ssize_t q = pos[c], ends[81];
        int n = 0;
        ipv4_ends(t, q, limit, 0, ends, &n);
        for (int i = 0; i < n; i++)
            if (ipv6_after(t, ends[i], limit)) return ends[i];
        Py_ssize_t r = hex_run(t, q, limit);
        for (Py_ssize_t len = r < 4 ? r : 4; len >= 1; len--)
            if (ipv6_after(t, q + len, limit)) return q + len;
        if (ipv6_after(t, q, limit)) return q;
    }
    return -1;
}

/* ``ipaddress.IPv6Address(value)`` succeeds, and the value has two groups and four
 * characters besides colons (``re.split(r":+", value)``) */
static int ipv6_ok(const uint8_t *d, Py_ssize_t s, Py_ssize_t e) {
    int lens[16], n = 0, len = 0, dotted = 0, chars = 0, groups = 0; /* room for one more */
    for (Py_ssize_t p = s; p <= e; p++) {
        if (p == e || d[p] == ':') {
            if (n == 12) return 0;
            lens[n++] = len;
            groups += len > 0;
            len = 0;
        } else {
            len++;
            chars++;
            dotted |= d[p] == '.';
        }
    }
    if (n < 3) return 0;
    if (dotted) { /* a dotted quad (valid by the pattern) stands for two hextets */
        lens[n - 1] = 4;
        lens[n++] = 4;
    }
    if (n > 9) return 0;
    int skip = -1;
    for (int i = 1; i < n - 1; i++) {
        if (lens[i] == 0) {
            if (skip >= 0) return 0;
            skip = i;
        }
    }
    int hi, lo;
    if (skip >= 0) {
        hi = skip;
        lo = n - skip - 1;
        if (lens[0] == 0 && --hi) return 0;
        if (lens[n - 1] == 0 && --lo) return 0;
        if (8 - (hi + lo) < 1) return 0;
    } else {
        if (n != 8 || lens[0] == 0 || lens[n - 1] == 0) return 0;
        hi = n;
        lo = 0;
    }
    for (int i = 0; i < hi; i++)
        if (lens[i] < 1 || lens[i] > 4) return 0;
    for (int i = n - lo; i < n; i++)
        if (lens[i] < 1 || lens[i] > 4) return 0;
    return groups >= 2 && chars >= 4;
}

typedef Py_ssize_t (*MatchFn)(const Text *, Py_ssize_t, Py_ssize_t, Group *);

static MatchFn MATCHERS[CK_COUNT] = {
    NULL, m_id18, m_id15, m_mobile, m_bank, m_bank_short, m_uscc,
    m_passport, m_permit, m_plate, m_ipv4, m_qq, m_landline, m_email, m_wxid, m_wechat, m_ipv6, NULL,
};

/* ---- accept: the recogniser's decision on an exact match --------------------------- */

static int accept(const Text *t, int check, Py_ssize_t s, Py_ssize_t e, Group g, Outs *out) {
    const uint8_t *d = t->d;
    switch (check) {
    case CK_ID18:
    case CK_ID15: {
        char n[20];
        int len = 0;
        for (Py_ssize_t p = s; p < e && len < 19; p++) {
            int c = d[p];
            if (is_digit(c)) n[len++] = (char)c;
            else if (c == 'X' || c == 'x') n[len++] = 'X';
        }
        if (!id_card_ok(t, n, len)) return 0;
        int known = t->core->regions && ((t->core->regions[num(n, 6) >> 3] >> (num(n, 6) & 7)) & 1);
        int ctx = context(t, s, e, W_ID);
        double score;
        if (len == 18) score = (known || ctx) ? 0.99 : 0.93;
        else score = ctx ? 0.9 : (known ? 0.6 : 0.4);
        return outs_push(out, K_ID, s, e, score);
    }
    case CK_MOBILE: {
        if (s > 0) {
            int c = d[s - 1];
            if (c == '-' || c == '+' || c == '.' || c == '/') return 0;
        }
        return outs_push(out, K_MOBILE, s, e, context(t, s, e, W_MOBILE) ? 0.98 : 0.85);
    }
    case CK_BANK:
    case CK_BANK_SHORT: {
        char digits[40];
        int len = 0, doubled = 0;
        for (Py_ssize_t p = s; p < e; p++) {
            int c = d[p];
            if (is_digit(c)) {
                if (len < 39) digits[len++] = (char)c;
            } else if (p + 1 < e && d[p + 1] == c) {
                doubled = 1; /* "  " or "--" */
            }
        }
        if (check == CK_BANK_SHORT) {
            /* ^(?:3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11})$ */
            int amex = len == 15 && digits[1] >= '4' && digits[1] <= '7' && digits[1] != '5' && digits[1] != '6';
            int diners = len == 14 && ((digits[1] == '0' && digits[2] >= '0' && digits[2] <= '5')
                                       || digits[1] == '6' || digits[1] == '8');
            if (!(amex || diners) || !luhn_ok(digits, len)) return 0;
        } else if (len < 16 || len > 19 || !luhn_ok(digits, len)) {
            return 0;
        }
        if (doubled) return 0;
        int ctx = context(t, s, e, W_BANK);
        /* ^(?:62|4|5[1-5]|2[2-7]|35|60|65|9[0-9]) */
        char a = digits[0], b = digits[1];
        int known = check == CK_BANK_SHORT || (a == '6' && (b == '2' || b == '0' || b == '5')) || a == '4'
                    || (a == '5' && b >= '1' && b <= '5') || (a == '2' && b >= '2' && b <= '7')
                    || (a == '3' && b == '5') || a == '9';
        double score = ctx ? (known ? 0.98 : 0.8) : (known ? 0.85 : 0.4);
        return outs_push(out, K_BANK, s, e, score);
    }
    case CK_USCC: {
        char code[18];
        memcpy(code, d + s, 18);
        if (!uscc_ok(code)) return 0;
        int all_digits = 1;
        for (int i = 0; i < 18; i++) all_digits &= is_digit(code[i]);
        if (all_digits && id_card_ok(t, code, 18)) return 0;
        return outs_push(out, K_USCC, s, e, org_code_ok(code + 8) ? 0.97 : 0.88);
    }
    case CK_PASSPORT:
        return outs_push(out, K_PASSPORT, s, e, context(t, s, e, W_PASSPORT) ? 0.97 : 0.75);
    case CK_PERMIT: {
        int ctx = context(t, s, e, W_PERMIT);
        if ((d[s] == 'H' || d[s] == 'M') && !ctx) return outs_push(out, K_PERMIT, s, e, 0.45);
        return outs_push(out, K_PERMIT, s, e, ctx ? 0.97 : 0.75);
    }
    case CK_PLATE: {
        /* the tail after province and letter, without leading separators: >= 3 digits */
        Py_ssize_t p = next_cp(t, s);
        p = next_cp(t, p);
        int n = 0;
        for (; p < e; p++) n += is_digit(d[p]);
        if (n < 3) return 0;
        return outs_push(out, K_PLATE, s, e, context(t, s, e, W_PLATE) ? 0.97 : 0.85);
    }
    case CK_IPV4: {
        Py_ssize_t lo = window_start(t, s, 16);
        const Core *c = t->core;
        if (has_word(t, lo, e, &c->words[W_VERSION]) && !has_word(t, lo, e, &c->words[W_IP]))
            return outs_push(out, K_IPV4, s, e, 0.3);
        static Word ip = {"ip", 2};
        static const WordSet ip_only = {&ip, 1};
        return outs_push(out, K_IPV4, s, e, has_word(t, lo, e, &ip_only) ? 0.97 : 0.9);
    }
    case CK_QQ:
        return outs_push(out, K_QQ, g.start, g.end, 0.95);
    case CK_LANDLINE: {
        int n = 0;
        for (Py_ssize_t p = s; p < e; p++) n += is_digit(d[p]);
        if (n < 10) return 0;
        return outs_push(out, K_LANDLINE, s, e, context(t, s, e, W_LANDLINE) ? 0.95 : 0.8);
    }
    case CK_EMAIL: {
        Py_ssize_t atp = s;
        while (d[atp] != '@') atp++;
        for (Py_ssize_t p = s; p + 1 < e; p++)
            if (d[p] == '.' && d[p + 1] == '.') return 0;
        if (d[atp - 1] == '.') return 0;
        for (Py_ssize_t p = atp + 1; p + 1 < e; p++)
            if (d[p] == '-' && d[p + 1] == '.') return 0;
        return outs_push(out, K_EMAIL, s, e, 0.97);
    }
    case CK_WXID:
        return outs_push(out, K_WECHAT, g.start, g.end, 0.9);
    case CK_IPV6:
        return ipv6_ok(d, s, e) ? outs_push(out, K_IPV6, s, e, 0.95) : 0;
    case CK_WECHAT: {
        /* not "public", "account", "official" (any case); not a long all-lower-case word */
        static const char *words[] = {"public", "account", "official"};
        Py_ssize_t len = g.end - g.start;
        for (size_t k = 0; k < 3; k++) {
            if ((Py_ssize_t)strlen(words[k]) != len) continue;
            Py_ssize_t i = 0;
            while (i < len && (d[g.start + i] | 0x20) == words[k][i]) i++;
            if (i == len) return 0;
        }
        int lower_word = 1;
        for (Py_ssize_t p = g.start; p < g.end; p++) lower_word &= d[p] >= 'a' && d[p] <= 'z';
        if (lower_word && len > 12) return 0;
        return outs_push(out, K_WECHAT, g.start, g.end, 0.9);
    }
    }
    return 0;
}

/* `PatternRecognizer.confirm` for one candidate: every exact match in its window (the
 * uncut one where the window cut it) that overlaps the candidate, accepted or not */
static int confirm(const Text *t, int id, Py_ssize_t start, Py_ssize_t end, Outs *out) {
    const Core *c = t->core;
    int check = c->checks[id];
    MatchFn match = MATCHERS[check];
    Py_ssize_t lo = start, hi = end;
    for (int i = 0; i < c->before[id] && lo > 0; i++) lo = prev_cp(t, lo);
    for (int i = 0; i < c->after[id] && hi < t->n; i++) hi = next_cp(t, hi);
    Py_ssize_t p = lo;
    while (p < hi && p < end) { /* a match starting at or after ``end`` cannot overlap */
        Group g = {0, 0};
        Py_ssize_t e = match(t, p, hi, &g);
        if (e < 0) {
            p = next_cp(t, p);
            continue;
        }
        Py_ssize_t ms = p, me = e;
        int ok = 1;
        if (e == hi && hi < t->n) { /* the window cut the match: match again uncut */
            me = match(t, p, t->n, &g);
            ok = me >= 0;
        }
        if (ok && !(me <= start || ms >= end)) {
            if (accept(t, check, ms, me, g, out) < 0) return -1;
        }
        p = e > p ? e : next_cp(t, p);
    }
    return 0;
}

/* ---- phone candidates (international.PhoneRecognizer): a filter, not a check --------
 *
 * The recogniser's validation is libphonenumber's, so its candidates stay with Python;
 * but most of them never get that far: `accept` rejects them first (+86 numbers, digit
 * counts, dates, mixed separators, Chinese number shapes, national numbers without a
 * context word). CK_PHONE drops a candidate when every exact match `confirm` would hand
 * to `accept` for it is rejected before `_valid` is called, and defers it otherwise.
 *
 * The regular expressions involved run on a small backtracking machine that follows
 * `re`'s order: a greedy ``?`` or ``{m,n}`` tries one more first, an alternation its
 * branches left to right. Every pattern here matches ASCII only (a byte >= 0x80 never
 * matches), and no repeated group can match empty. */

enum { OP_CLS, OP_SPLIT, OP_JMP, OP_MATCH, OP_END, OP_LB_NOT, OP_LB2_NOT, OP_LA_NOT };

typedef struct {
    uint8_t op;
    int x, y;         /* SPLIT: preferred branch, other branch; JMP: target */
    uint8_t set[16];  /* CLS, LB_NOT, LA_NOT: ASCII bitmap; LB2_NOT: the character before */
    uint8_t set2[16]; /* LB2_NOT: the one before that */
} Ins;

#define PROG_MAX 400
typedef struct {
    Ins ins[PROG_MAX];
    int n;
} Prog;

static Prog P_PHONE, P_NANP, P_CN_LANDLINE, P_DATE;
static int progs_ok = 1; /* 0: a program overflowed (never): the filter keeps everything */

static int emit(Prog *p, int op) {
    if (p->n == PROG_MAX) {
        progs_ok = 0;
        return PROG_MAX - 1;
    }
    memset(&p->ins[p->n], 0, sizeof(Ins));
    p->ins[p->n].op = (uint8_t)op;
    return p->n++;
}

/* a class from a list of characters: "a-z" is a range, a "-" at the end itself */
static void fill_set(uint8_t *set, const char *spec) {
    for (const char *c = spec; *c; c++) {
        int a = (unsigned char)*c, b = a;
        if (c[1] == '-' && c[2]) {
            b = (unsigned char)c[2];
            c += 2;
        }
        for (int k = a; k <= b; k++) set[k >> 3] |= (uint8_t)(1 << (k & 7));
    }
}

static int emit_set(Prog *p, int op, const char *spec) {
    int i = emit(p, op);
    fill_set(p->ins[i].set, spec);
    return i;
}

static void cls(Prog *p, const char *spec) { emit_set(p, OP_CLS, spec); }

/* greedy optional: ``opt_begin``, the body, ``opt_end`` with the index it returned */
static int opt_begin(Prog *p) {
    int i = emit(p, OP_SPLIT);
    p->ins[i].x = i + 1;
    return i;
}
static void opt_end(Prog *p, int i) { p->ins[i].y = p->n; }

/* spec?, greedy */
static void opt_cls(Prog *p, const char *spec) {
    int i = opt_begin(p);
    cls(p, spec);
    opt_end(p, i);
}

/* spec{min,max}, greedy */
static void rep_cls(Prog *p, const char *spec, int min, int max) {
    int splits[16];
    for (int i = 0; i < min; i++) cls(p, spec);
    for (int i = 0; i < max - min; i++) {
        splits[i] = opt_begin(p);
        cls(p, spec);
    }
    for (int i = 0; i < max - min; i++) opt_end(p, splits[i]);
}

typedef void (*Body)(Prog *);

/* (?:body){min,max}, greedy (the body never matches empty) */
static void rep_body(Prog *p, Body body, int min, int max) {
    int splits[16];
    for (int i = 0; i < min; i++) body(p);
    for (int i = 0; i < max - min; i++) {
        splits[i] = opt_begin(p);
        body(p);
    }
    for (int i = 0; i < max - min; i++) opt_end(p, splits[i]);
}

/* (?:a|b) */
static void alt(Prog *p, Body a, Body b) {
    int s = opt_begin(p);
    a(p);
    int j = emit(p, OP_JMP);
    p->ins[s].y = p->n;
    b(p);
    p->ins[j].x = p->n;
}

/* [ .\-]?\(?[0-9]{1,5}\)? */
static void intl_group(Prog *p) {
    opt_cls(p, " .-");
    opt_cls(p, "(");
    rep_cls(p, "0-9", 1, 5);
    opt_cls(p, ")");
}

/* \+[1-9][0-9]{0,3}(?:[ .\-]?\(0\))?(?:[ .\-]?\(?[0-9]{1,5}\)?){2,6} */
static void intl(Prog *p) {
    cls(p, "+");
    cls(p, "1-9");
    rep_cls(p, "0-9", 0, 3);
    int o = opt_begin(p);
    opt_cls(p, " .-");
    cls(p, "(");
    cls(p, "0");
    cls(p, ")");
    opt_end(p, o);
    rep_body(p, intl_group, 2, 6);
}

/* [ .\-][0-9]{2,5} */
static void grouped_more(Prog *p) {
    cls(p, " .-");
    rep_cls(p, "0-9", 2, 5);
}

/* \(?[0-9]{2,5}\)?[ .\-][0-9]{2,5}(?:[ .\-][0-9]{2,5}){1,4} */
static void grouped_a(Prog *p) {
    opt_cls(p, "(");
    rep_cls(p, "0-9", 2, 5);
    opt_cls(p, ")");
    cls(p, " .-");
    rep_cls(p, "0-9", 2, 5);
    rep_body(p, grouped_more, 1, 4);
}

/* \(?[0-9]{3,5}\)?[ .\-][0-9]{4,8} */
static void grouped_b(Prog *p) {
    opt_cls(p, "(");
    rep_cls(p, "0-9", 3, 5);
    opt_cls(p, ")");
    cls(p, " .-");
    rep_cls(p, "0-9", 4, 8);
}

static void grouped(Prog *p) { alt(p, grouped_a, grouped_b); }

static void ext_x(Prog *p) { cls(p, "x"); }

/* ext\.? */
static void ext_word(Prog *p) {
    cls(p, "e");
    cls(p, "x");
    cls(p, "t");
    opt_cls(p, ".");
}

/* (?:[ ]?(?:x|ext\.?)[ ]?[0-9]{1,5})? */
static void ext(Prog *p) {
    int o = opt_begin(p);
    opt_cls(p, " ");
    alt(p, ext_x, ext_word);
    opt_cls(p, " ");
    rep_cls(p, "0-9", 1, 5);
    opt_end(p, o);
}

/* the date alternatives: [0-9]{4}[.\-/][0-9]{1,2}[.\-/][0-9]{1,2} and its mirror */
static void date_a(Prog *p) {
    rep_cls(p, "0-9", 4, 4);
    cls(p, "/.-");
    rep_cls(p, "0-9", 1, 2);
    cls(p, "/.-");
    rep_cls(p, "0-9", 1, 2);
}
static void date_b(Prog *p) {
    rep_cls(p, "0-9", 1, 2);
    cls(p, "/.-");
    rep_cls(p, "0-9", 1, 2);
    cls(p, "/.-");
    rep_cls(p, "0-9", 4, 4);
}

/* 10|2[0-9]|[3-9][0-9]{2} */
static void area_10(Prog *p) {
    cls(p, "1");
    cls(p, "0");
}
static void area_2x(Prog *p) {
    cls(p, "2");
    cls(p, "0-9");
}
static void area_3xx(Prog *p) {
    cls(p, "3-9");
    rep_cls(p, "0-9", 2, 2);
}
static void area_rest(Prog *p) { alt(p, area_2x, area_3xx); }

static void build_programs(void) {
    Prog *p = &P_PHONE;
    /* (?<![0-9A-Za-z+(.\-])(?<![0-9)][\t\n\r )])(?:INTL|GROUPED)EXT(?![0-9]) */
    emit_set(p, OP_LB_NOT, "0-9A-Za-z+(.-");
    fill_set(p->ins[emit_set(p, OP_LB2_NOT, "\t\n\r )")].set2, "0-9)");
    alt(p, intl, grouped);
    ext(p);
    emit_set(p, OP_LA_NOT, "0-9");
    emit(p, OP_MATCH);

    /* _NANP: (?:\+?1[ .\-]?)?\(?[2-9][0-9]{2}\)?[ .\-]?[2-9][0-9]{2}[ .\-]?[0-9]{4}EXT, whole */
    p = &P_NANP;
    int o = opt_begin(p), s = opt_begin(p);
    cls(p, "+");
    opt_end(p, s);
    cls(p, "1");
    opt_cls(p, " .-");
    opt_end(p, o);
    opt_cls(p, "(");
    cls(p, "2-9");
    rep_cls(p, "0-9", 2, 2);
    opt_cls(p, ")");
    opt_cls(p, " .-");
    cls(p, "2-9");
    rep_cls(p, "0-9", 2, 2);
    opt_cls(p, " .-");
    rep_cls(p, "0-9", 4, 4);
    ext(p);
    emit(p, OP_END);

    /* _CN_LANDLINE: \(?0(?:10|2[0-9]|[3-9][0-9]{2})\)?[ \-]?[2-9][0-9]{6,7}, whole */
    p = &P_CN_LANDLINE;
    opt_cls(p, "(");
    cls(p, "0");
    alt(p, area_10, area_rest);
    opt_cls(p, ")");
    opt_cls(p, " -");
    cls(p, "2-9");
    rep_cls(p, "0-9", 6, 7);
    emit(p, OP_END);

    /* _DATE_LIKE, whole */
    p = &P_DATE;
    alt(p, date_a, date_b);
    emit(p, OP_END);
}

static inline int in_set(const uint8_t *set, int c) { return c >= 0 && c < 128 && ((set[c >> 3] >> (c & 7)) & 1); }

/* the end of a match of ``prog`` at ``pos`` (look-aheads and OP_END stop at ``limit``,
 * the look-behind sees the text), or -1 */
static Py_ssize_t run(const Prog *prog, int pc, const Text *t, Py_ssize_t pos, Py_ssize_t limit) {
    for (;;) {
        const Ins *in = &prog->ins[pc];
        switch (in->op) {
        case OP_CLS:
            if (!in_set(in->set, at(t, pos, limit))) return -1;
            pos++;
            pc++;
            break;
        case OP_SPLIT: {
            Py_ssize_t r = run(prog, in->x, t, pos, limit);
            if (r >= 0) return r;
            pc = in->y;
            break;
        }
        case OP_JMP:
            pc = in->x;
            break;
        case OP_MATCH:
            return pos;
        case OP_END:
            return pos == limit ? pos : -1;
        case OP_LB_NOT:
            if (pos > 0 && in_set(in->set, t->d[pos - 1])) return -1;
            pc++;
            break;
        case OP_LB2_NOT:
            if (pos > 1 && in_set(in->set, t->d[pos - 1]) && in_set(in->set2, t->d[pos - 2])) return -1;
            pc++;
            break;
        case OP_LA_NOT:
            if (in_set(in->set, at(t, pos, limit))) return -1;
            pc++;
            break;
        default:
            return -1;
        }
    }
}

/* ``prog.fullmatch(value)`` for the value at [s, e) */
static int fullmatch(const Prog *prog, const Text *t, Py_ssize_t s, Py_ssize_t e) {
    return run(prog, 0, t, s, e) == e;
}

/* the code point at ``p`` (< limit) and its length in ``len`` */
static Py_UCS4 decode_at(const Text *t, Py_ssize_t p, Py_ssize_t limit, Py_ssize_t *len) {
    const uint8_t *d = t->d;
    uint8_t b = d[p];
    int n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    if (p + n > limit) n = (int)(limit - p);
    Py_UCS4 c = n == 1 ? b : b & (0x3F >> (n - 1));
    for (int i = 1; i < n; i++) c = (c << 6) | (d[p + i] & 0x3F);
    *len = n;
    return c;
}

/* is there a \w character just before ``p`` (> lo), or at ``p`` (< hi)? */
static int word_before(const Text *t, Py_ssize_t lo, Py_ssize_t p) {
    if (p <= lo) return 0;
    Py_ssize_t q = prev_cp(t, p), len;
    return re_word(decode_at(t, q, p, &len));
}
static int word_at(const Text *t, Py_ssize_t p, Py_ssize_t hi) {
    if (p >= hi) return 0;
    Py_ssize_t len;
    return re_word(decode_at(t, p, hi, &len));
}

static const char *PHONE_WORDS[] = {
    "phone", "tel", "telephone", "call", "mobile", "cell", "fax", "contact", "number", "reach",
    "text me", "whatsapp", "dial",
};
static const char *PHONE_WORDS_ZH[] = {"电话", "手机", "联系", "致电"};

/* the end of ``word`` matched case-insensitively (by `re`'s folds) at ``p``, or -1 */
static Py_ssize_t fold_word(const Text *t, Py_ssize_t p, Py_ssize_t hi, const char *word) {
    const Core *core = t->core;
    for (const char *w = word; *w; w++) {
        if (p >= hi) return -1;
        Py_ssize_t len;
        Py_UCS4 c = decode_at(t, p, hi, &len);
        int k = (unsigned char)*w, ok = 0;
        for (int i = 0; i < core->n_folds[k] && !ok; i++) ok = core->folds[k][i] == c;
        if (!ok) return -1;
        p += len;
    }
    return p;
}

/* ``PhoneRecognizer._CONTEXT.search(ctx.window(s, e, 24)) is not None``: the window is a
 * str of its own, so \b sees nothing outside it. The pattern's look-ahead only names the
 * first characters of its words (tests/detect/test_phone_native.py checks that `re`
 * folds nothing else onto them), so it is implied by a word matching. */
static int phone_context(const Text *t, Py_ssize_t s, Py_ssize_t e) {
    Py_ssize_t lo = window_start(t, s, 24), hi = e;
    for (Py_ssize_t p = lo; p < hi; p = next_cp(t, p)) {
        const Core *core = t->core;
        if (t->d[p] < 0x80) {
            if (!core->word_start[t->d[p]]) continue;
        } else {
            Py_ssize_t len;
            Py_UCS4 c = decode_at(t, p, hi, &len);
            int start = 0;
            for (int i = 0; i < core->n_wide_starts && !start; i++) start = core->wide_starts[i] == c;
            if (!start) continue;
        }
        for (size_t i = 0; i < sizeof PHONE_WORDS_ZH / sizeof *PHONE_WORDS_ZH; i++)
            if (cp_is(t, p, hi, PHONE_WORDS_ZH[i])) return 1;
        int before = word_before(t, lo, p);
        if (before == word_at(t, p, hi)) continue; /* no \b here */
        for (size_t i = 0; i < sizeof PHONE_WORDS / sizeof *PHONE_WORDS; i++) {
            Py_ssize_t q = fold_word(t, p, hi, PHONE_WORDS[i]);
            if (q >= 0 && word_before(t, lo, q) != word_at(t, q, hi)) return 1;
        }
    }
    return 0;
}

/* 1 when `PhoneRecognizer.accept` returns None for the match [s, e) before `_valid` */
static int phone_rejected(const Text *t, Py_ssize_t s, Py_ssize_t e) {
    const uint8_t *v = t->d + s;
    Py_ssize_t n = e - s;
    if ((n >= 3 && memcmp(v, "+86", 3) == 0) || (n >= 4 && memcmp(v, "0086", 4) == 0)) return 1;
    int all = 0, before_ext = 0, split = 0, has_x = 0, dotted = 0, dashed = 0, spaced = 0;
    char first_digits[2] = {0, 0};
    for (Py_ssize_t i = 0; i < n; i++) {
        int c = v[i];
        /* _EXT_SPLIT (x|ext): an "e" only ever starts "ext" in a match */
        if (c == 'x' || c == 'e') split = 1;
        has_x |= c == 'x';
        if (!split) { /* the separators of the number, not of its extension ("ext.") */
            dotted |= c == '.';
            dashed |= c == '-';
            spaced |= c == ' ';
        }
        if (is_digit(c)) {
            if (all < 2) first_digits[all] = (char)c;
            all++;
            before_ext += !split;
        }
    }
    int digits = has_x ? before_ext : all;
    if (digits < 7 || digits > 15) return 1;
    if ((dotted || dashed) && fullmatch(&P_DATE, t, s, e)) return 1;
    if (dotted && (spaced || dashed)) return 1;
    if (v[0] == '+') return 0; /* international: validated */
    if ((v[0] == '(' || v[0] == '0') && fullmatch(&P_CN_LANDLINE, t, s, e)) return 1;
    if (all == 11 && first_digits[0] == '1' && first_digits[1] >= '3' && first_digits[1] <= '9') return 1;
    if (digits >= 10 && digits <= 11 && fullmatch(&P_NANP, t, s, e)) return 0; /* validated */
    return !phone_context(t, s, e);
}

/* whether a phone candidate must go to Python: `confirm`'s loop (see `confirm`) with the
 * exact pattern, keeping the candidate as soon as one overlapping match is not rejected */
static int phone_keep(const Text *t, int id, Py_ssize_t start, Py_ssize_t end) {
    const Core *c = t->core;
    if (!c->has_folds || !progs_ok) return 1;
    Py_ssize_t lo = start, hi = end;
    for (int i = 0; i < c->before[id] && lo > 0; i++) lo = prev_cp(t, lo);
    for (int i = 0; i < c->after[id] && hi < t->n; i++) hi = next_cp(t, hi);
    Py_ssize_t p = lo;
    while (p < hi && p < end) {
        Py_ssize_t e = run(&P_PHONE, 0, t, p, hi);
        if (e < 0) {
            p = next_cp(t, p);
            continue;
        }
        Py_ssize_t ms = p, me = e;
        int ok = 1;
        if (e == hi && hi < t->n) { /* the window cut the match: match again uncut */
            me = run(&P_PHONE, 0, t, p, t->n);
            ok = me >= 0;
        }
        if (ok && !(me <= start || ms >= end) && !phone_rejected(t, ms, me)) return 1;
        p = e > p ? e : next_cp(t, p);
    }
    return 0;
}

/* ---- the scan ---------------------------------------------------------------------- */

/* drop repeated (id, start, end) candidates, keeping the first of each (report order) */
static size_t dedupe(HsHit *items, size_t n) {
    if (n < 2) return n;
    size_t size = 1;
    while (size < 2 * n) size <<= 1;
    size_t *table = PyMem_Calloc(size, sizeof(size_t)); /* index + 1; 0 = empty */
    if (!table) return (size_t)-1;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        HsHit h = items[i];
        uint64_t key = ((uint64_t)h.id * 0x9E3779B97F4A7C15ULL) ^ (h.start * 0xC2B2AE3D27D4EB4FULL) ^ (h.end * 0x165667B19E3779F9ULL);
        size_t slot = (size_t)(key ^ (key >> 29)) & (size - 1);
        int dup = 0;
        while (table[slot]) {
            HsHit o = items[table[slot] - 1];
            if (o.id == h.id && o.start == h.start && o.end == h.end) {
                dup = 1;
                break;
            }
            slot = (slot + 1) & (size - 1);
        }
        if (dup) continue;
        items[kept] = h;
        table[slot] = ++kept;
    }
    PyMem_Free(table);
    return kept;
}

/* the scan and the checks: per candidate in report order, the findings its check
 * accepted or the candidate itself (deferred), into ``outs``; -1 with an exception set */
static int scan_and_check(Core *self, const Py_buffer *buf, Outs *outs) {
    HsHits hits = {0};
    int rc = -1;
    if (hs_collect_all(self->db, self->scratch, buf, &hits) < 0) goto done;
    size_t n = dedupe(hits.items, hits.n);
    if (n == (size_t)-1) {
        PyErr_NoMemory();
        goto done;
    }
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    Text text = {buf->buf, buf->len, self, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    for (size_t i = 0; i < n; i++) {
        HsHit h = hits.items[i];
        if (h.id >= (unsigned int)self->n_patterns) continue; /* (never) */
        int check = self->checks[h.id];
        /* Hyperscan reports where a candidate ends: it spans at most ``reach`` characters */
        Py_ssize_t start = (Py_ssize_t)h.end - self->reach[h.id];
        if (start < 0 || count_leads(text.d, start, (Py_ssize_t)h.end) != self->reach[h.id]) {
            start = (Py_ssize_t)h.end; /* not all ASCII: step back character by character */
            for (int k = 0; k < self->reach[h.id] && start > 0; k++) start = prev_cp(&text, start);
        }
        h.start = (unsigned long long)start;
        /* (phone candidates are deferred here and filtered after `drop_yielding`) */
        int r = check == CK_DEFER || check == CK_PHONE
                    ? outs_push(outs, -1 - (int)h.id, (Py_ssize_t)h.start, (Py_ssize_t)h.end, 0.0)
                    : confirm(&text, (int)h.id, (Py_ssize_t)h.start, (Py_ssize_t)h.end, outs);
        if (r < 0) {
            PyErr_NoMemory();
            goto done;
        }
    }
    rc = 0;
done:
    PyMem_Free(hits.items);
    return rc;
}

/* character offsets of byte offsets: characters before each 64-byte block, then a count
 * of the lead bytes inside the block */
typedef struct {
    const uint8_t *d;
    Py_ssize_t n;
    Py_ssize_t *blocks; /* NULL: one byte per character */
} CharMap;

static int charmap_init(CharMap *m, const uint8_t *d, Py_ssize_t n, Py_ssize_t n_chars) {
    m->d = d;
    m->n = n;
    m->blocks = NULL;
    if (n == n_chars) return 0;
    Py_ssize_t nb = n / 64 + 1, chars = 0;
    m->blocks = PyMem_Malloc((size_t)nb * sizeof *m->blocks);
    if (!m->blocks) return -1;
    for (Py_ssize_t b = 0; b < nb; b++) {
        m->blocks[b] = chars;
        Py_ssize_t end = (b + 1) * 64 < n ? (b + 1) * 64 : n;
        chars += count_leads(d, b * 64, end);
    }
    return 0;
}

static inline Py_ssize_t charmap_get(const CharMap *m, Py_ssize_t b) {
    if (!m->blocks) return b;
    return m->blocks[b / 64] + count_leads(m->d, b & ~(Py_ssize_t)63, b);
}

/* `base._NUMBER_CHARS`: digits and the punctuation inside phone numbers */
static inline int number_char(int c) {
    return is_digit(c) || c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '+';
}

/* a span (byte offsets) of an accepted finding, for `drop_yielding` */
typedef struct {
    Py_ssize_t start, end;
} Span;

static int span_cmp(const void *a, const void *b) {
    const Span *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* `base.confirm_yielding`'s test, in C: drop each deferred candidate of a pattern with
 * ``yields`` whose number (the digits and number punctuation before its end) has all its
 * ASCII digits inside the accepted finding (of those kinds) that starts last at or before
 * its first digit. Python would skip it the same way, since the
 * findings accepted here are all the findings of those kinds (NativePass passes ``yields``
 * only then). Compacts ``outs`` in place; -1 when out of memory. */
static int drop_yielding(const Core *self, Outs *outs, const uint8_t *d) {
    uint32_t masks[8];
    int n_masks = 0;
    for (size_t i = 0; i < outs->n; i++) {
        Out o = outs->items[i];
        if (o.code >= 0) continue;
        uint32_t m = self->yields[-1 - o.code];
        int seen = 0;
        for (int k = 0; k < n_masks; k++) seen |= masks[k] == m;
        if (m && !seen) {
            if (n_masks == 8) return 0; /* (never: one mask per recogniser) leave it to Python */
            masks[n_masks++] = m;
        }
    }
    if (!n_masks) return 0;
    Span *spans = PyMem_Malloc((outs->n ? outs->n : 1) * sizeof(Span));
    uint8_t *drop = PyMem_Calloc(outs->n ? outs->n : 1, 1);
    if (!spans || !drop) {
        PyMem_Free(spans);
        PyMem_Free(drop);
        return -1;
    }
    for (int k = 0; k < n_masks; k++) {
        uint32_t m = masks[k];
        size_t ns = 0;
        for (size_t i = 0; i < outs->n; i++) {
            Out o = outs->items[i];
            if (o.code >= 0 && (m >> o.code) & 1) spans[ns++] = (Span){o.start, o.end};
        }
        if (!ns) continue;
        qsort(spans, ns, sizeof(Span), span_cmp);
        for (size_t i = 0; i < outs->n; i++) {
            Out o = outs->items[i];
            if (o.code >= 0 || self->yields[-1 - o.code] != m) continue;
            /* the number the candidate ends in (`base.number_start`): ASCII only, so a
             * byte is a character */
            Py_ssize_t first = o.end, last = o.end - 1;
            int reach = self->reach[-1 - o.code];
            while (first > 0 && o.end - first < reach && number_char(d[first - 1])) first--;
            while (first < o.end && !is_digit(d[first])) first++;
            if (first == o.end) continue; /* no digit: confirmed */
            while (!is_digit(d[last])) last--;
            size_t lo = 0, hi = ns; /* bisect_right on the starts */
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (spans[mid].start <= first) lo = mid + 1;
                else hi = mid;
            }
            drop[i] = lo > 0 && spans[lo - 1].end > last;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < outs->n; i++)
        if (!drop[i]) outs->items[kept++] = outs->items[i];
    outs->n = kept;
    PyMem_Free(spans);
    PyMem_Free(drop);
    return 0;
}

/* the phone filter (`phone_keep`) on the deferred phone candidates that `drop_yielding`
 * left (most candidates are fragments of Chinese numbers it drops); compacts ``outs`` */
static void filter_phones(Core *self, Outs *outs, const Py_buffer *buf) {
    Text text = {buf->buf, buf->len, self, 0, 0, 0};
    size_t kept = 0;
    for (size_t i = 0; i < outs->n; i++) {
        Out o = outs->items[i];
        if (o.code < 0 && self->checks[-1 - o.code] == CK_PHONE && !phone_keep(&text, -1 - o.code, o.start, o.end))
            continue;
        outs->items[kept++] = o;
    }
    outs->n = kept;
}

/* find(data, n_chars) -> (findings, deferred): ``run`` with character offsets; the
 * accepted findings, in candidate order, made as Finding objects (the type and reporters
 * given at init); and per candidate left to Python a (position, pattern id, start, end)
 * tuple, position being the number of findings before it (where its own belong). */
static PyObject *Core_find(Core *self, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t n_chars;
    if (!PyArg_ParseTuple(args, "y*n", &buf, &n_chars)) return NULL;
    Outs outs = {0};
    CharMap cm = {0};
    PyObject *list = NULL, *deferred = NULL, *result = NULL;
    if (!self->finding_type) {
        PyErr_SetString(PyExc_RuntimeError, "Core was made without finding_type and reporters");
        goto done;
    }
    if (scan_and_check(self, &buf, &outs) < 0) goto done;
    if (drop_yielding(self, &outs, buf.buf) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    filter_phones(self, &outs, &buf);
    if (charmap_init(&cm, buf.buf, buf.len, n_chars) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n_found = 0;
    for (size_t i = 0; i < outs.n; i++) n_found += outs.items[i].code >= 0;
    list = PyList_New(n_found);
    deferred = PyList_New(0);
    if (!list || !deferred) goto done;
    PyTypeObject *type = (PyTypeObject *)self->finding_type;
    Py_ssize_t k = 0;
    for (size_t i = 0; i < outs.n; i++) {
        Out o = outs.items[i];
        Py_ssize_t s = charmap_get(&cm, o.start), e = charmap_get(&cm, o.end);
        if (o.code < 0) {
            PyObject *item = Py_BuildValue("(ninn)", k, -1 - o.code, s, e);
            if (!item || PyList_Append(deferred, item) < 0) {
                Py_XDECREF(item);
                goto done;
            }
            Py_DECREF(item);
            continue;
        }
        PyObject *item = make_finding(type, PyTuple_GET_ITEM(self->reporters, o.code), s, e, o.score);
        if (!item) goto done;
        PyList_SET_ITEM(list, k++, item);
    }
    result = PyTuple_Pack(2, list, deferred);
done:
    Py_XDECREF(list);
    Py_XDECREF(deferred);
    PyMem_Free(cm.blocks);
    PyMem_Free(outs.items);
    PyBuffer_Release(&buf);
    return result;
}

/* ---- construction ------------------------------------------------------------------ */

static void free_words(WordSet *ws) {
    for (Py_ssize_t i = 0; i < ws->n; i++) PyMem_Free(ws->words[i].bytes);
    PyMem_Free(ws->words);
    ws->words = NULL;
    ws->n = 0;
}

static void Core_dealloc(Core *self) {
    if (self->scratch) hs_free_scratch(self->scratch);
    if (self->db) hs_free_database(self->db);
    PyMem_Free(self->checks);
    PyMem_Free(self->before);
    PyMem_Free(self->after);
    PyMem_Free(self->reach);
    PyMem_Free(self->yields);
    PyMem_Free(self->regions);
    for (int i = 0; i < 128; i++) PyMem_Free(self->folds[i]);
    for (int i = 0; i < W_COUNT; i++) free_words(&self->words[i]);
    Py_XDECREF(self->finding_type);
    Py_XDECREF(self->reporters);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int load_words(WordSet *ws, PyObject *seq) {
    PyObject *fast = PySequence_Fast(seq, "context words must be a sequence of str");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    ws->words = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Word));
    if (!ws->words) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(fast, i);
        Py_ssize_t len;
        const char *s = PyUnicode_Check(w) ? PyUnicode_AsUTF8AndSize(w, &len) : NULL;
        if (!s) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "context words must be str");
            Py_DECREF(fast);
            return -1;
        }
        ws->words[i].bytes = PyMem_Malloc((size_t)len + 1);
        if (!ws->words[i].bytes) {
            Py_DECREF(fast);
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t k = 0; k < len; k++) {
            char c = s[k];
            ws->words[i].bytes[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        ws->words[i].bytes[len] = 0;
        ws->words[i].len = len;
        ws->n = i + 1;
    }
    Py_DECREF(fast);
    return 0;
}

/* ``folds``: a dict from each ASCII character of the phone context words to the str of
 * every character `re` matches it with under IGNORECASE (itself included) */
static int load_folds(Core *self, PyObject *folds) {
    if (!PyDict_Check(folds)) {
        PyErr_SetString(PyExc_TypeError, "folds must be a dict from str to str");
        return -1;
    }
    for (size_t i = 0; i < sizeof PHONE_WORDS / sizeof *PHONE_WORDS; i++) {
        for (const char *w = PHONE_WORDS[i]; *w; w++) {
            int k = (unsigned char)*w;
            if (self->folds[k]) continue;
            PyObject *key = PyUnicode_FromOrdinal(k);
            if (!key) return -1;
            PyObject *value = PyDict_GetItemWithError(folds, key);
            Py_DECREF(key);
            if (!value || !PyUnicode_Check(value)) {
                if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "folds has no str for %c", k);
                return -1;
            }
            Py_ssize_t n = PyUnicode_GET_LENGTH(value);
            self->folds[k] = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_UCS4));
            if (!self->folds[k]) {
                PyErr_NoMemory();
                return -1;
            }
            for (Py_ssize_t j = 0; j < n; j++) self->folds[k][j] = PyUnicode_READ_CHAR(value, j);
            self->n_folds[k] = (int)n;
        }
    }
    /* a word starts with a character that folds onto its first letter, or with the first
     * character of a Chinese word */
    self->n_wide_starts = 0;
    for (size_t i = 0; i < sizeof PHONE_WORDS / sizeof *PHONE_WORDS; i++) {
        int k = (unsigned char)PHONE_WORDS[i][0];
        for (int j = 0; j < self->n_folds[k]; j++) {
            Py_UCS4 c = self->folds[k][j];
            if (c < 0x80) self->word_start[c] = 1;
            else if (self->n_wide_starts < 16) self->wide_starts[self->n_wide_starts++] = c;
            else return 0; /* (never) has_folds stays 0: the filter keeps every candidate */
        }
    }
    for (size_t i = 0; i < sizeof PHONE_WORDS_ZH / sizeof *PHONE_WORDS_ZH; i++) {
        const uint8_t *z = (const uint8_t *)PHONE_WORDS_ZH[i]; /* three-byte characters */
        Py_UCS4 c = ((Py_UCS4)(z[0] & 0x0F) << 12) | ((Py_UCS4)(z[1] & 0x3F) << 6) | (z[2] & 0x3F);
        if (self->n_wide_starts == 16) return 0;
        self->wide_starts[self->n_wide_starts++] = c;
    }
    self->has_folds = 1;
    return 0;
}

static int check_id(PyObject *name) {
    const char *s = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
    if (!s) return -1;
    for (int i = 0; i < CK_COUNT; i++)
        if (strcmp(s, CHECK_NAMES[i]) == 0) return i;
    return -1;
}

/* Core(patterns, words, regions, database=None, finding_type=None, reporters=None,
 * yields=None): ``patterns`` a sequence of (expression: bytes, hs flags: int, check: str,
 * before: int, after: int, reach: int), flags without start of match (a candidate is
 * taken to start ``reach`` characters before its end: `Pattern.reach`); ``words`` a dict from word-set name (WORDSETS) to a sequence
 * of str; ``regions`` a sequence of six-digit str; ``database`` the `serialize`d database
 * of these same patterns (a cache: compiling takes a tenth of a second), or None to
 * compile them; ``yields`` per pattern the kinds (indices into KINDS) whose accepted
 * findings its deferred candidates yield to (`drop_yielding`), or None for none. */
static int Core_init(Core *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"patterns", "words", "regions", "database", "finding_type", "reporters", "yields", "folds", NULL};
    PyObject *patterns, *words, *regions, *database = Py_None, *finding_type = Py_None, *reporters = Py_None;
    PyObject *yields = Py_None, *folds = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O|OOOOO", kwlist, &patterns, &PyDict_Type, &words, &regions,
                                     &database, &finding_type, &reporters, &yields, &folds))
        return -1;
    if (finding_type != Py_None) {
        if (!PyType_Check(finding_type) || !PyType_IsSubtype((PyTypeObject *)finding_type, &PyTuple_Type)) {
            PyErr_SetString(PyExc_TypeError, "finding_type must be a tuple subclass");
            return -1;
        }
        if (!PyTuple_Check(reporters) || PyTuple_GET_SIZE(reporters) != K_COUNT) {
            PyErr_Format(PyExc_TypeError, "reporters must be a tuple of %d (kind, detector, version)", K_COUNT);
            return -1;
        }
        for (int k = 0; k < K_COUNT; k++) {
            PyObject *r = PyTuple_GET_ITEM(reporters, k);
            if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 3) {
                PyErr_SetString(PyExc_TypeError, "each reporter must be a (kind, detector, version) tuple");
                return -1;
            }
        }
        Py_INCREF(finding_type);
        Py_INCREF(reporters);
        self->finding_type = finding_type;
        self->reporters = reporters;
    }
    if (self->db) {
        PyErr_SetString(PyExc_RuntimeError, "Core is already initialised");
        return -1;
    }
    PyObject *fast = PySequence_Fast(patterns, "patterns must be a sequence");
    if (!fast) return -1;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    int rc = -1;
    const char **exprs = PyMem_Calloc((size_t)(n ? n : 1), sizeof(char *));
    unsigned int *flags = PyMem_Calloc((size_t)(n ? n : 1), sizeof(unsigned int));
    unsigned int *ids = PyMem_Calloc((size_t)(n ? n : 1), sizeof(unsigned int));
    self->checks = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int));
    self->before = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int));
    self->after = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int));
    self->reach = PyMem_Calloc((size_t)(n ? n : 1), sizeof(int));
    self->yields = PyMem_Calloc((size_t)(n ? n : 1), sizeof(uint32_t));
    if (!exprs || !flags || !ids || !self->checks || !self->before || !self->after || !self->reach
        || !self->yields) {
        PyErr_NoMemory();
        goto done;
    }
    if (n == 0) {
        PyErr_SetString(PyExc_ValueError, "no patterns");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PySequence_Fast_GET_ITEM(fast, i);
        PyObject *check;
        const char *expr;
        if (!PyArg_ParseTuple(item, "yIOiii", &expr, &flags[i], &check, &self->before[i], &self->after[i],
                              &self->reach[i]))
            goto done;
        if (self->before[i] < 0 || self->after[i] < 0 || self->reach[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "before, after and reach must not be negative");
            goto done;
        }
        exprs[i] = expr;
        ids[i] = (unsigned int)i;
        self->checks[i] = check_id(check);
        if (self->checks[i] < 0) {
            PyErr_Format(PyExc_ValueError, "unknown check %R", check);
            goto done;
        }
    }
    self->n_patterns = (int)n;
    if (yields != Py_None) {
        PyObject *yfast = PySequence_Fast(yields, "yields must be a sequence");
        if (!yfast) goto done;
        int ok = PySequence_Fast_GET_SIZE(yfast) == n;
        for (Py_ssize_t i = 0; ok && i < n; i++) {
            PyObject *kinds = PySequence_Fast(PySequence_Fast_GET_ITEM(yfast, i), "");
            ok = kinds != NULL;
            for (Py_ssize_t j = 0; ok && j < PySequence_Fast_GET_SIZE(kinds); j++) {
                long k = PyLong_AsLong(PySequence_Fast_GET_ITEM(kinds, j));
                ok = k >= 0 && k < K_COUNT;
                if (ok) self->yields[i] |= (uint32_t)1 << k;
            }
            Py_XDECREF(kinds);
        }
        Py_DECREF(yfast);
        if (!ok) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "yields must give, per pattern, a sequence of kind indices");
            goto done;
        }
    }
    if (folds != Py_None && load_folds(self, folds) < 0) goto done;
    for (int i = 0; i < W_COUNT; i++) {
        PyObject *seq = PyDict_GetItemString(words, WORDSET_NAMES[i]);
        if (seq && load_words(&self->words[i], seq) < 0) goto done;
    }
    PyObject *rfast = PySequence_Fast(regions, "regions must be a sequence of str");
    if (!rfast) goto done;
    self->regions = PyMem_Calloc(1000000 / 8 + 1, 1);
    if (!self->regions) {
        Py_DECREF(rfast);
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(rfast); i++) {
        PyObject *r = PySequence_Fast_GET_ITEM(rfast, i);
        Py_ssize_t len;
        const char *s = PyUnicode_Check(r) ? PyUnicode_AsUTF8AndSize(r, &len) : NULL;
        if (!s || len != 6 || strspn(s, "0123456789") != 6) continue; /* not a code: never known */
        int code = num(s, 6);
        self->regions[code >> 3] |= (uint8_t)(1 << (code & 7));
    }
    Py_DECREF(rfast);
    if (hs_build(&self->db, database, exprs, flags, ids, NULL, (unsigned int)n) < 0) goto done;
    if (hs_alloc_scratch(self->db, &self->scratch) != HS_SUCCESS) {
        PyErr_NoMemory();
        goto done;
    }
    rc = 0;
done:
    PyMem_Free(exprs);
    PyMem_Free(flags);
    PyMem_Free(ids);
    Py_DECREF(fast);
    return rc;
}

static PyObject *Core_serialize(Core *self, PyObject *unused) { return hs_serialized(self->db); }

static PyMethodDef Core_methods[] = {
    {"find", (PyCFunction)Core_find, METH_VARARGS,
     "find(data: bytes, n_chars: int) -> tuple[list, list]\n\n"
     "Scan UTF-8 ``data`` (``n_chars`` characters): the findings the checks accepted, as\n"
     "Finding objects in candidate order; and the candidates left to Python, as (position,\n"
     "pattern id, start, end), position being the number of findings before it.\n"
     "Character offsets."},
    {"serialize", (PyCFunction)Core_serialize, METH_NOARGS,
     "serialize() -> bytes\n\nThe compiled database, for `Core(..., database=...)`."},
    {NULL},
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "aisec.detect.pii._core.Core",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The compiled candidate pass: Hyperscan plus the checks of the common patterns.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Core_init,
    .tp_dealloc = (destructor)Core_dealloc,
    .tp_methods = Core_methods,
};

static PyObject *names_tuple(const char **names, int n) {
    PyObject *t = PyTuple_New(n);
    if (!t) return NULL;
    for (int i = 0; i < n; i++) {
        PyObject *s = PyUnicode_FromString(names[i]);
        if (!s) {
            Py_DECREF(t);
            return NULL;
        }
        PyTuple_SET_ITEM(t, i, s);
    }
    return t;
}

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_core",
    .m_doc = "The compiled candidate pass of PiiDetector (see _core.c).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__core(void) {
    build_programs();
    PyObject *m = hs_module(&module, &CoreType, "Core");
    if (!m) return NULL;
    if (PyModule_AddObject(m, "CHECKS", names_tuple(CHECK_NAMES, CK_COUNT)) < 0
        || PyModule_AddObject(m, "WORDSETS", names_tuple(WORDSET_NAMES, W_COUNT)) < 0
        || PyModule_AddObject(m, "KINDS", names_tuple(KIND_NAMES, K_COUNT)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
