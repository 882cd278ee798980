//! National identifiers of the eleven Nordic-Baltic participants: validation
//! that says precisely why a value is invalid, masking of personal
//! identifiers, and a scanner that finds personal identity numbers in text.
//!
//! One file per country holds its rules and, next to them, the issuing
//! authority's document they were checked against. Åland (AX) uses the
//! Finnish identifiers; Greenland (GL) and the Faroe Islands (FO) use the
//! Danish CPR number (the Faroe Islands also their own p-tal and V-tal).
//!
//! Every scheme reports the first problem it meets, in this order: length,
//! characters, century marker, other fixed components, date, check digit.

mod dk;
mod ee;
mod fi;
mod is;
mod lt;
mod lv;
mod no;
mod prefixed;
mod se;
mod synthetic;

pub use synthetic::{pseudonymise, pseudonymise_at, stand_in};

use std::fmt;
use std::ops::Range;

use chrono::{Datelike, NaiveDate};

/// What an identifier identifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Person,
    Organisation,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Person => "person",
            Kind::Organisation => "organisation",
        })
    }
}

/// The eleven participants (ISO 3166-1 alpha-2).
pub const COUNTRIES: [&str; 11] = [
    "DK", "FI", "IS", "NO", "SE", "EE", "LV", "LT", "FO", "GL", "AX",
];

/// Something worth knowing about a valid identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// NO: a synthetic number of Skatteetaten's test registry (Tenor, Test-Norge): month + 80.
    Synthetic,
    /// NO: an H-number (help number, month + 40), also the form of NAV's synthetic test numbers.
    HelpNumber,
    /// NO: a D-number (day + 40), for persons not resident in Norway.
    DNumber,
    /// NO: valid only under the first-check-digit rule Skatteetaten uses for numbers issued from 2032.
    CheckRule2032,
    /// SE: a coordination number (samordningsnummer, day + 60).
    Coordination,
    /// SE: the `+` separator: the person is 100 or older.
    Centenarian,
    /// FI: individual number 900–999: a temporary code, never in the population register.
    Temporary,
    /// DK: the number also passes the modulus-11 rule that CPR numbers followed until 2007.
    PassesOldModulus11,
    /// LV: check digit 0 for a weighted remainder of 10, the reading of the
    /// old form's rule that no official text confirms or rules out.
    CheckDigitTenAsZero,
}

impl Flag {
    pub fn describe(self) -> &'static str {
        match self {
            Flag::Synthetic => {
                "synthetic test number of the Norwegian test registry (Tenor: month + 80)"
            }
            Flag::HelpNumber => {
                "H-number (help number: month + 40; NAV's synthetic test numbers have this form too)"
            }
            Flag::DNumber => "D-number (day + 40)",
            Flag::CheckRule2032 => {
                "first check digit valid only under the rule for numbers issued from 1 January 2032"
            }
            Flag::Coordination => "coordination number (samordningsnummer: day + 60)",
            Flag::Centenarian => "`+` separator: 100 years or older",
            Flag::Temporary => {
                "temporary code (individual number 900–999), not in the population register"
            }
            Flag::PassesOldModulus11 => "passes the old modulus-11 rule (not required since 2007)",
            Flag::CheckDigitTenAsZero => {
                "check digit 0 for a remainder of 10 (the `mod 11 mod 10` reading of the rule, which no official text confirms)"
            }
        }
    }
}

/// A valid identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    /// The country whose rules accepted it (for prefixed forms, the issuing country).
    pub country: &'static str,
    pub kind: Kind,
    /// The scheme, in English with the local name: "personal identity code (henkilötunnus)".
    pub scheme: &'static str,
    /// The canonical written form (for example the 12-digit form of a Swedish personnummer).
    pub normalised: String,
    /// The birth date a personal identifier encodes, where it encodes one.
    pub birth_date: Option<NaiveDate>,
    pub flags: Vec<Flag>,
    /// Further remarks ("carries no birth date", …).
    pub notes: Vec<String>,
    /// How many leading characters of `normalised` a mask keeps.
    mask_keep: usize,
}

impl Valid {
    /// The normalised form with everything after the birth-date part masked.
    pub fn masked(&self) -> String {
        masked(&self.normalised, self.mask_keep)
    }

    /// The normalised form, masked when it identifies a person.
    pub fn shown(&self) -> String {
        match self.kind {
            Kind::Person => self.masked(),
            Kind::Organisation => self.normalised.clone(),
        }
    }

    /// Flags and notes as text, for messages.
    pub fn remarks(&self) -> Vec<String> {
        self.flags
            .iter()
            .map(|f| f.describe().to_string())
            .chain(self.notes.iter().cloned())
            .collect()
    }
}

/// Why a value is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The country asked for, upper-cased (empty when a prefixed value named none we know).
    pub country: String,
    /// The scheme, short: "personal identity code".
    pub scheme: &'static str,
    /// The value as given.
    pub value: String,
    pub reason: Reason,
}

impl Invalid {
    pub(crate) fn new(country: &str, scheme: &'static str, value: &str, reason: Reason) -> Self {
        Invalid {
            country: country.to_string(),
            scheme,
            value: value.to_string(),
            reason,
        }
    }

    /// How far validation got before it failed, to pick the telling reason
    /// when a value fails several schemes.
    pub fn depth(&self) -> u8 {
        match self.reason {
            Reason::Unsupported(_) => 0,
            Reason::Empty | Reason::Prefix(_) => 1,
            Reason::Length { .. } => 2,
            Reason::Character { .. } => 3,
            Reason::Century(_) | Reason::Component(_) => 4,
            Reason::Date(_) => 5,
            Reason::CheckDigit { .. } | Reason::NoCheckDigit(_) => 6,
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A value that is invalid here may still be another country's valid
        // personal identity number: never show one unmasked.
        let shown = redact(&self.value);
        // Nor may the reason quote what the mask hides (a century sign, a check
        // digit): then it names only what is wrong and where.
        let reason = if shown != self.value {
            self.reason.without_characters()
        } else {
            self.reason.to_string()
        };
        match (self.country.is_empty(), &self.reason) {
            (_, Reason::Unsupported(why)) => write!(f, "{why}"),
            (true, _) => write!(f, "{} {shown}: {reason}", self.scheme),
            (false, _) => write!(f, "{} {} {shown}: {reason}", self.country, self.scheme),
        }
    }
}

impl std::error::Error for Invalid {}

/// The precise reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// No rules for this country and kind.
    Unsupported(String),
    Empty,
    Length {
        expected: &'static str,
        found: usize,
    },
    /// A character that the scheme does not allow at this position (1-based).
    Character {
        position: usize,
        found: char,
        expected: &'static str,
    },
    /// An unknown century marker.
    Century(String),
    /// Another fixed part is wrong (an individual number never issued, a registry prefix…).
    Component(String),
    /// An impossible date, or one in the future.
    Date(String),
    CheckDigit {
        what: &'static str,
        found: char,
        expected: char,
    },
    /// The other digits admit no check digit at all: such numbers are never issued.
    NoCheckDigit(String),
    /// The country prefix of a prefixed form.
    Prefix(String),
}

impl Reason {
    /// The reason without any character or digit of the value: for values
    /// that are another country's personal identity number.
    fn without_characters(&self) -> String {
        match self {
            Reason::Unsupported(s) => s.clone(),
            Reason::Empty | Reason::Length { .. } => self.to_string(),
            Reason::Character {
                position, expected, ..
            } => format!("character {position} is not allowed, expected {expected}"),
            Reason::Century(_) => "unknown century sign".into(),
            Reason::Component(_) => "a fixed part of the number is wrong".into(),
            Reason::Date(_) => "impossible date".into(),
            Reason::CheckDigit { what, .. } => format!("{what} does not match"),
            Reason::NoCheckDigit(_) => "no check digit exists for the other digits".into(),
            // About the prefix's letters, never the number's digits.
            Reason::Prefix(_) => self.to_string(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Unsupported(s)
            | Reason::Century(s)
            | Reason::Component(s)
            | Reason::Date(s)
            | Reason::NoCheckDigit(s)
            | Reason::Prefix(s) => f.write_str(s),
            Reason::Empty => f.write_str("is empty"),
            Reason::Length { expected, found } => {
                write!(f, "wrong length: {found} characters, expected {expected}")
            }
            Reason::Character {
                position,
                found,
                expected,
            } => write!(
                f,
                "character {position} is `{}`, expected {expected}",
                found.escape_debug()
            ),
            Reason::CheckDigit {
                what,
                found,
                expected,
            } => write!(f, "{what} is {found}, expected {expected}"),
        }
    }
}

/// Validate `value` as an identifier of `kind` issued by `country` (ISO
/// 3166-1 alpha-2, any case), as of today (`CONFORM_NOW` moves "today").
pub fn validate(country: &str, kind: Kind, value: &str) -> Result<Valid, Invalid> {
    validate_at(country, kind, value, today())
}

/// [`validate`] as of a given day (birth dates after it are impossible; the
/// century of a 10-digit Swedish personnummer depends on it).
pub fn validate_at(
    country: &str,
    kind: Kind,
    value: &str,
    today: NaiveDate,
) -> Result<Valid, Invalid> {
    let upper = country.trim().to_ascii_uppercase();
    let Some(cc) = COUNTRIES.iter().copied().find(|c| *c == upper) else {
        return Err(Invalid::new(
            &upper,
            "identifier",
            value,
            Reason::Unsupported(format!(
                "no identifier rules for country `{country}`: the countries are {}",
                COUNTRIES.join(", ")
            )),
        ));
    };
    if value.is_empty() {
        let scheme = match kind {
            Kind::Person => "personal identifier",
            Kind::Organisation => "organisation identifier",
        };
        return Err(Invalid::new(cc, scheme, value, Reason::Empty));
    }
    match (cc, kind) {
        ("FI" | "AX", Kind::Person) => fi::person(cc, value, today),
        ("FI" | "AX", Kind::Organisation) => fi::business_id(cc, value),
        ("SE", Kind::Person) => se::person(cc, value, today),
        ("SE", Kind::Organisation) => se::organisation(cc, value),
        ("NO", Kind::Person) => no::person(cc, value, today),
        ("NO", Kind::Organisation) => no::organisation(cc, value),
        ("DK" | "GL", Kind::Person) => dk::cpr(cc, value, today),
        ("FO", Kind::Person) => dk::faroese_person(cc, value, today),
        ("DK", Kind::Organisation) => dk::cvr(cc, value),
        ("FO", Kind::Organisation) => dk::faroese_v_number(cc, value),
        ("EE", Kind::Person) => ee::person(cc, value, today),
        ("EE", Kind::Organisation) => ee::registry_code(cc, value),
        ("LT", Kind::Person) => lt::person(cc, value, today),
        ("LV", Kind::Person) => lv::person(cc, value, today),
        ("IS", kind) => is::kennitala(cc, kind, value, today),
        (cc, Kind::Organisation) => Err(Invalid::new(
            cc,
            "organisation identifier",
            value,
            Reason::Unsupported(unsupported_organisation(cc).to_string()),
        )),
        (cc, Kind::Person) => unreachable!("every country has personal rules, {cc} too"),
    }
}

/// Why a country has no organisation rules here; empty when it has them.
pub fn unsupported_organisation(country: &str) -> &'static str {
    match country {
        "GL" => {
            "no organisation identifier rules for GL: Greenland's business register numbers (GER) are not covered"
        }
        "LV" => {
            "no organisation identifier rules for LV: the Latvian registration number is not covered yet"
        }
        "LT" => {
            "no organisation identifier rules for LT: the Lithuanian legal entity code is not covered yet"
        }
        _ => "",
    }
}

/// Validate a country-prefixed form: `EE38001085718` (as in `X-Road-UserId`),
/// eIDAS `EE/NO/38001085718` (issuing country / destination country /
/// identifier), or an ETSI EN 319 412-1 semantics identifier
/// (`PNOEE-38001085718` for persons, `NTRNO-974760673` for legal persons).
/// The rest is validated by the issuing country's rules; when `country` is
/// given the issuing country must be it.
pub fn validate_prefixed(country: Option<&str>, kind: Kind, value: &str) -> Result<Valid, Invalid> {
    prefixed::validate(country, kind, value, today())
}

/// [`validate_prefixed`] as of a given day.
pub fn validate_prefixed_at(
    country: Option<&str>,
    kind: Kind,
    value: &str,
    today: NaiveDate,
) -> Result<Valid, Invalid> {
    prefixed::validate(country, kind, value, today)
}

/// Mask a valid personal identifier, keeping its birth-date part:
/// FI `010190-****`, SE `19900101-****`, NO `010190*****`, EE/LT
/// `3900101****`, IS and DK `010190-****`, LV `010190-*****` and
/// `32*********`. A prefixed form keeps its prefix (`EE3900101****`).
/// `None` when the value is not a valid personal identifier of `country`.
pub fn mask(country: &str, value: &str) -> Option<String> {
    mask_at(country, value, today())
}

fn mask_at(country: &str, value: &str, today: NaiveDate) -> Option<String> {
    validate_at(country, Kind::Person, value, today)
        .or_else(|_| prefixed::validate(Some(country), Kind::Person, value, today))
        .ok()
        .map(|v| v.masked())
}

/// Every substring of `text` that validates as a personal identity number of
/// one of the eleven countries, with that country. Candidates are
/// word-bounded (an issuing-country prefix such as `EE` may precede one) and
/// written with the separators each scheme uses; precision comes first:
/// only numbers that pass the whole validation count, check digits and dates
/// included. Numbers without a check digit count only in their hyphenated
/// form with a valid date: the Danish CPR number (`DDMMYY-SSSS`, century from
/// the official table), the Faroese p-tal (`DDMMYY-NNN`) and the Latvian
/// personal code issued since 2017 (`3XNNNN-NNNNN`). A 10-digit Swedish
/// personnummer needs its separator (`YYMMDD-NNNC`). EE and LT share one
/// scheme, so one range may be listed once per country whose rules it
/// passes. Ordered by position.
pub fn find_personal(text: &str) -> Vec<(Range<usize>, &'static str)> {
    find_personal_at(text, today())
}

/// [`find_personal`] as of a given day.
pub fn find_personal_at(text: &str, today: NaiveDate) -> Vec<(Range<usize>, &'static str)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut next = 0;
    while let Some(found) = bytes[next..].iter().position(u8::is_ascii_digit) {
        // Every shape starts with six digits at a word boundary, so only at
        // the start of a run of at least six digits.
        let start = next + found;
        let digits = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        next = start + digits;
        if digits < 6 || !left_boundary(text, start) {
            continue;
        }
        for len in 10..=13 {
            let end = start + len;
            if end > bytes.len() {
                break;
            }
            let b = bytes[end - 1];
            if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'+') {
                break;
            }
            if !right_boundary(text, end) {
                continue;
            }
            let candidate = &text[start..end];
            for cc in scan(candidate, today) {
                out.push((start..end, cc));
            }
        }
    }
    out
}

/// `text` with every personal identity number [`find_personal`] finds masked.
pub fn redact(text: &str) -> String {
    // Every shape `scan` accepts starts with six digits: text without such a
    // run (most header values and messages) has nothing to mask, and is
    // returned without reading the clock or scanning.
    if !has_digit_run(text.as_bytes(), 6) {
        return text.to_string();
    }
    redact_at(text, today())
}

/// Whether `bytes` hold `n` ASCII digits in a row.
///
/// Every run of `n` digits covers one byte in `n`, so the bytes are read
/// from the end of each window of `n` backwards, and a window is left at
/// its first byte that is not a digit: prose and markup are mostly read
/// one byte in `n`. Response bodies are read here for every case.
fn has_digit_run(bytes: &[u8], n: usize) -> bool {
    if n == 0 {
        return true;
    }
    // No run of `n` digits ends before `end`.
    let mut end = n - 1;
    while end < bytes.len() {
        let start = end + 1 - n;
        match bytes[start..=end].iter().rposition(|b| !b.is_ascii_digit()) {
            None => return true,
            // A run ending from here to `start + gap + n - 1` would hold the gap.
            Some(gap) => end = start + gap + n,
        }
    }
    false
}

fn redact_at(text: &str, today: NaiveDate) -> String {
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (range, cc) in find_personal_at(text, today) {
        if range.start < done {
            continue;
        }
        let Some(masked) = mask_at(cc, &text[range.clone()], today) else {
            continue;
        };
        out.push_str(&text[done..range.start]);
        out.push_str(&masked);
        done = range.end;
    }
    out.push_str(&text[done..]);
    out
}

/// The countries whose personal rules `candidate` (ASCII, word-bounded)
/// passes in a form the scanner accepts.
fn scan(candidate: &str, today: NaiveDate) -> Vec<&'static str> {
    let b = candidate.as_bytes();
    let digits = |r: Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = |cc: &str| validate_at(cc, Kind::Person, candidate, today).is_ok();
    let mut found = Vec::new();
    let mut try_cc = |cc: &'static str, shape: bool| {
        if shape && ok(cc) {
            found.push(cc);
        }
    };
    match b.len() {
        10 => {
            try_cc("IS", digits(0..10));
            try_cc("FO", digits(0..6) && b[6] == b'-' && digits(7..10));
        }
        11 => {
            let all = digits(0..11);
            let hyphen = digits(0..6) && b[6] == b'-' && digits(7..11);
            try_cc(
                "FI",
                digits(0..6) && b"+-YXWVUABCDEF".contains(&b[6]) && digits(7..10),
            );
            try_cc(
                "SE",
                digits(0..6) && (b[6] == b'-' || b[6] == b'+') && digits(7..11),
            );
            try_cc("NO", all);
            try_cc("DK", hyphen);
            try_cc("EE", all);
            try_cc("LT", all);
            try_cc("LV", all && !(b[0] == b'3' && b[1] >= b'2'));
            try_cc("IS", hyphen);
        }
        12 => {
            try_cc("SE", digits(0..12));
            try_cc("LV", digits(0..6) && b[6] == b'-' && digits(7..12));
        }
        13 => try_cc("SE", digits(0..8) && b[8] == b'-' && digits(9..13)),
        _ => {}
    }
    found
}

/// A candidate may start at the beginning, after a non-alphanumeric
/// character, or right after an issuing-country prefix (`EE38001085718`).
fn left_boundary(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    match before.next() {
        None => true,
        Some(c) if !c.is_alphanumeric() => true,
        Some(second) if second.is_ascii_uppercase() => match before.next() {
            Some(first) if first.is_ascii_uppercase() => {
                let code = [first as u8, second as u8];
                COUNTRIES.iter().any(|c| c.as_bytes() == code)
                    && before.next().is_none_or(|c| !c.is_alphanumeric())
            }
            _ => false,
        },
        Some(_) => false,
    }
}

fn right_boundary(text: &str, end: usize) -> bool {
    text[end..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric())
}

/// Today, or the day of `CONFORM_NOW` (RFC 3339) when tests fix the clock.
pub fn today() -> NaiveDate {
    crate::clock::now_lenient().date_naive()
}

fn masked(normalised: &str, keep: usize) -> String {
    normalised
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i < keep || !c.is_ascii_alphanumeric() {
                c
            } else {
                '*'
            }
        })
        .collect()
}

// ---- helpers shared by the country files ----

/// One position of a scheme's written shape.
#[derive(Debug, Clone, Copy)]
pub(crate) enum C {
    /// A digit.
    D,
    /// Exactly this character.
    Lit(char),
    /// One of these characters, described for messages.
    Any(&'static str, &'static str),
    /// A century marker: one of these characters, described for messages.
    Century(&'static str, &'static str),
}

/// Check `value` against `spec`, one position each, and return its characters.
pub(crate) fn shape(value: &str, spec: &[C], expected: &'static str) -> Result<Vec<char>, Reason> {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() != spec.len() {
        return Err(Reason::Length {
            expected,
            found: chars.len(),
        });
    }
    // Characters first, century markers after: a stray letter says more than a marker.
    for (i, (c, s)) in chars.iter().zip(spec).enumerate() {
        let (ok, what) = match s {
            C::D => (c.is_ascii_digit(), "a digit"),
            C::Lit('-') => (*c == '-', "`-`"),
            C::Lit(l) => (c == l, "the separator"),
            C::Any(set, what) => (set.contains(*c), *what),
            C::Century(..) => (true, ""),
        };
        if !ok {
            return Err(Reason::Character {
                position: i + 1,
                found: *c,
                expected: what,
            });
        }
    }
    for (c, s) in chars.iter().zip(spec) {
        if let C::Century(set, what) = s
            && !set.contains(*c)
        {
            return Err(Reason::Century(format!(
                "unknown century sign `{}`: expected {what}",
                c.escape_debug()
            )));
        }
    }
    Ok(chars)
}

/// The shape of `n` digits.
pub(crate) const fn digits<const N: usize>() -> [C; N] {
    [C::D; N]
}

/// The number written by ASCII digits.
pub(crate) fn num(chars: &[char]) -> u32 {
    chars
        .iter()
        .fold(0, |n, c| n * 10 + c.to_digit(10).unwrap_or(0))
}

/// The digits of `chars`, skipping anything else.
pub(crate) fn digit_values(chars: &[char]) -> Vec<u32> {
    chars.iter().filter_map(|c| c.to_digit(10)).collect()
}

pub(crate) fn weighted(d: &[u32], w: &[u32]) -> u32 {
    d.iter().zip(w).map(|(d, w)| d * w).sum()
}

/// The Luhn check digit of `payload` (the digits before the check digit).
pub(crate) fn luhn(payload: &[u32]) -> u32 {
    let n = payload.len();
    let sum: u32 = payload
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if (n - 1 - i).is_multiple_of(2) {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                *d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

pub(crate) fn digit_char(d: u32) -> char {
    char::from_digit(d, 10).unwrap_or('?')
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A calendar date, or why it is impossible. `how` says how the date was read
/// from the number, for the message ("coordination number: day − 60").
pub(crate) fn date(year: i32, month: u32, day: u32, how: &str) -> Result<NaiveDate, Reason> {
    let how = if how.is_empty() {
        String::new()
    } else {
        format!(" ({how})")
    };
    if !(1..=12).contains(&month) {
        return Err(Reason::Date(format!(
            "impossible date: month {month:02} does not exist{how}"
        )));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        let days = days_in_month(year, month);
        Reason::Date(format!(
            "impossible date: day {day:02} of {} {year} does not exist ({} {year} has {days} days){how}",
            MONTHS[month as usize - 1],
            MONTHS[month as usize - 1],
        ))
    })
}

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(31, |d| d.day())
}

/// A birth date after today is impossible.
pub(crate) fn not_future(born: NaiveDate, today: NaiveDate) -> Result<(), Reason> {
    if born > today {
        Err(Reason::Date(format!(
            "impossible date: the birth date {born} is in the future"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `s` with its digit at `pos` replaced by another (`k` picks which).
    pub(crate) fn change_digit(s: &str, pos: usize, k: u32) -> String {
        let mut chars: Vec<char> = s.chars().collect();
        let old = chars[pos].to_digit(10).expect("a digit");
        chars[pos] = digit_char((old + 1 + k % 9) % 10);
        chars.into_iter().collect()
    }

    pub(crate) fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The skipping search for a run of digits agrees with counting every
    /// byte, on texts of digits, letters, punctuation and multi-byte letters.
    #[test]
    fn digit_runs_are_found_as_by_counting_every_byte() {
        fn counted(bytes: &[u8], n: usize) -> bool {
            let mut run = 0;
            bytes.iter().any(|b| {
                run = if b.is_ascii_digit() { run + 1 } else { 0 };
                run >= n
            }) || n == 0
        }
        let pieces = ["1", "23", "4567", "a", "-", " ", "ø", "ž", "890123"];
        // A small linear congruential generator: the same texts every run.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut text = String::new();
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
            for _ in 0..(state >> 59) {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                text.push_str(pieces[(state >> 33) as usize % pieces.len()]);
            }
            for n in 0..9 {
                assert_eq!(
                    has_digit_run(text.as_bytes(), n),
                    counted(text.as_bytes(), n),
                    "{text:?}, {n}"
                );
            }
        }
    }

    /// The shortcut of `redact` skips only text that holds no personal number.
    #[test]
    fn redact_skips_only_text_without_six_digits() {
        assert!(!has_digit_run(b"Fri, 04 Dec 2026 17:49:39 GMT", 6));
        assert!(has_digit_run(b"tel:+358000000", 6));
        assert!(has_digit_run(b"131052", 6));
        assert_eq!(redact("id 13105-308T"), "id 13105-308T");
        // Each shape the scanner knows, masked through the public path.
        for valid in ["131052-308T", "121212-1212", "19121212-1212"] {
            assert_ne!(
                redact(&format!("id {valid}")),
                format!("id {valid}"),
                "{valid}"
            );
        }
    }

    #[test]
    fn unknown_country_and_unsupported_kind() {
        let e = validate("DE", Kind::Person, "1").unwrap_err();
        assert!(matches!(e.reason, Reason::Unsupported(_)), "{e}");
        let e = validate("LV", Kind::Organisation, "40003521600").unwrap_err();
        assert!(e.to_string().contains("LV"), "{e}");
        assert!(validate("fi", Kind::Person, "131052-308T").is_ok());
        assert_eq!(
            validate("FI", Kind::Person, "").unwrap_err().reason,
            Reason::Empty
        );
    }

    #[test]
    fn luhn_digit() {
        assert_eq!(luhn(&[1, 2, 1, 2, 1, 2, 1, 2, 1]), 2);
        assert_eq!(luhn(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1]), 3);
    }

    #[test]
    fn dates_say_why() {
        let e = date(1990, 2, 30, "").unwrap_err().to_string();
        assert_eq!(
            e,
            "impossible date: day 30 of February 1990 does not exist (February 1990 has 28 days)"
        );
        assert!(date(2000, 2, 29, "").is_ok());
        assert!(date(1900, 2, 29, "").is_err());
        assert!(
            date(1990, 13, 1, "")
                .unwrap_err()
                .to_string()
                .contains("month 13")
        );
    }

    #[test]
    fn masks() {
        let t = day("2026-06-01");
        let cases = [
            ("FI", "131052-308T", "131052-****"),
            ("SE", "19121212-1212", "19121212-****"),
            ("SE", "121212-1212", "20121212-****"),
            ("SE", "121212+1212", "19121212-****"),
            ("NO", "15108695088", "151086*****"),
            ("EE", "38001085718", "3800108****"),
            ("LT", "33309240064", "3330924****"),
            ("IS", "1201743399", "120174-****"),
            ("DK", "211062-5629", "211062-****"),
            ("LV", "161175-19997", "161175-*****"),
            ("LV", "32999999901", "32*********"),
            ("EE", "EE38001085718", "EE3800108****"),
        ];
        for (cc, value, want) in cases {
            assert_eq!(mask_at(cc, value, t).as_deref(), Some(want), "{cc} {value}");
        }
        assert_eq!(
            mask_at("FI", "0245437-2", t),
            None,
            "organisations are not masked"
        );
        assert_eq!(mask_at("FI", "131052-308U", t), None, "invalid");
    }

    #[test]
    fn invalid_values_that_are_another_countrys_personal_numbers_are_masked() {
        let e = validate_at("FI", Kind::Person, "19121212-1212", day("2026-06-01")).unwrap_err();
        let text = e.to_string();
        assert!(!text.contains("1212-1212"), "{text}");
        assert!(text.contains("19121212-****"), "{text}");
        // Nor does the reason quote a hidden character: a Norwegian number read
        // as Finnish has a `9` where the century sign goes, which the mask hides.
        let e = validate_at("FI", Kind::Person, "15108695088", day("2026-06-01")).unwrap_err();
        assert!(matches!(e.reason, Reason::Century(_)), "{e:?}");
        assert_eq!(
            e.to_string(),
            "FI personal identity code 151086*****: unknown century sign"
        );
        let e = validate_at("NO", Kind::Person, "15108695089", day("2026-06-01")).unwrap_err();
        assert!(e.to_string().contains("expected 8"), "not personal: {e}");
    }

    #[test]
    fn the_example_message() {
        let e = validate("FI", Kind::Person, "131052-308U").unwrap_err();
        assert_eq!(
            e.to_string(),
            "FI personal identity code 131052-308U: check character is U, expected T"
        );
    }

    #[test]
    fn scanner_finds_and_bounds() {
        let t = day("2026-06-01");
        let text = "FI 131052-308T, SE 19121212-1212 and 121212+1212; NO 15108695088; \
                    EE38001085718; IS 1201743399; DK 211062-5629; LV 161175-19997, 329999-99901; \
                    not: 131052-308U, 1310523-08T, x15108695088, 151086950881, 2110625629, 32999999901";
        let found: Vec<(&str, &str)> = find_personal_at(text, t)
            .into_iter()
            .map(|(r, cc)| (&text[r], cc))
            .collect();
        for want in [
            ("131052-308T", "FI"),
            ("19121212-1212", "SE"),
            ("121212+1212", "SE"),
            ("15108695088", "NO"),
            ("38001085718", "EE"),
            ("38001085718", "LT"),
            ("1201743399", "IS"),
            ("211062-5629", "DK"),
            ("161175-19997", "LV"),
            ("329999-99901", "LV"),
        ] {
            assert!(found.contains(&want), "{want:?} not in {found:?}");
        }
        for (s, _) in &found {
            assert!(
                ![
                    "131052-308U",
                    "15108695088 ",
                    "151086950881",
                    "2110625629",
                    "32999999901"
                ]
                .contains(s),
                "{s} found: {found:?}"
            );
        }
        // Exactly the expected occurrences: `x15108695088` is not word-bounded.
        assert_eq!(found.iter().filter(|(s, _)| *s == "15108695088").count(), 1);
        let red = redact_at(text, t);
        assert!(red.contains("FI 131052-****"), "{red}");
        assert!(red.contains("EE3800108****"), "{red}");
        assert!(red.contains("SE 19121212-**** and 19121212-****"), "{red}");
        assert!(!red.contains("308T"), "{red}");
    }

    fn found(text: &str, id: &str, cc: &str) -> bool {
        let t = day("2026-06-01");
        let start = text.find(id).unwrap();
        find_personal_at(text, t)
            .iter()
            .any(|(r, c)| *r == (start..start + id.len()) && *c == cc)
    }

    proptest::proptest! {
        /// Every generated valid personal identity number is found in text,
        /// in each form the scanner accepts, and redacted.
        #[test]
        fn the_scanner_finds_every_valid_number(
            fi in fi::tests::hetu(),
            (se, _) in se::tests::personnummer(),
            no in no::tests::fnr(),
            ee in ee::tests::isikukood(8),
            is in is::tests::kt(0),
            lv in lv::tests::old_code(),
        ) {
            for (id, cc) in [(&fi, "FI"), (&se, "SE"), (&no, "NO"), (&ee, "EE"), (&is, "IS"), (&lv, "LV")] {
                let text = format!("Ref. ({id}), see also x{id}.");
                proptest::prop_assert!(found(&text, id, cc), "{cc} {id} not found in {text:?}");
                let red = redact_at(&text, day("2026-06-01"));
                proptest::prop_assert!(!red.contains(&format!("({id})")), "{red}");
                // Not word-bounded: left alone.
                proptest::prop_assert!(red.contains(&format!("x{id}.")), "{red}");
            }
        }
    }

    #[test]
    fn scanner_on_non_ascii_text_does_not_panic() {
        let text = "ää131052-308Tö 131052-308T ø";
        let found = find_personal(text);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(&text[found[0].0.clone()], "131052-308T");
    }
}
