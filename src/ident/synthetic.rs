//! Synthetic stand-ins for personal identity numbers, for recordings.
//!
//! A recording for replay must not keep anyone's personal identity number,
//! yet a replay must judge as the live run did. So each personal number the
//! scanner finds ([`super::find_personal`]) is replaced by a synthetic one
//! that is valid by the same rules: same written form (separators, 10 or 12
//! digits, the century sign), same birth-date part (which masking keeps
//! anyway, so even masked messages read the same), same flags (D-number,
//! coordination number, synthetic month, …), valid in exactly the same
//! countries, and with the check digits computed afresh. The digits after
//! the birth-date part come from a SHA-256 of the original: the same
//! original always gets the same stand-in, within a run and across runs, so
//! that a request whose URL carries a personal number is still found on
//! replay.
//!
//! "The same countries": first a stand-in valid in exactly the countries the
//! original is valid in is sought. Some numbers are valid in several
//! countries' schemes by coincidence (`040715-6579` passes the Finnish,
//! Swedish, Icelandic and Danish rules at once), and a stand-in that repeats
//! every coincidence is rare; for those, after a while, a stand-in valid in
//! the country the number was found for and in every country that shares its
//! rules (FI and AX; DK, GL and FO; EE and LT) is taken.

use std::ops::Range;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use super::{COUNTRIES, Kind, Valid, fi, validate_at};

/// How many attempts at a stand-in before giving up on one (two check
/// digits and a century table leave about one candidate in 250 valid).
const ATTEMPTS: u32 = 20_000;
/// After this many, coincidental validity in other countries' schemes is no
/// longer sought.
const STRICT_ATTEMPTS: u32 = 4_000;

/// The countries that use the same personal rules as `cc`.
fn family(cc: &str) -> &'static [&'static str] {
    match cc {
        "FI" | "AX" => &["FI", "AX"],
        "DK" | "GL" | "FO" => &["DK", "GL", "FO"],
        "EE" | "LT" => &["EE", "LT"],
        "SE" => &["SE"],
        "NO" => &["NO"],
        "LV" => &["LV"],
        "IS" => &["IS"],
        _ => &[],
    }
}

/// `text` with every personal identity number replaced by its synthetic
/// stand-in, as of today.
pub fn pseudonymise(text: &str) -> String {
    pseudonymise_at(text, super::today())
}

/// [`pseudonymise`] as of a given day.
pub fn pseudonymise_at(text: &str, today: NaiveDate) -> String {
    let mut found: Vec<(Range<usize>, &'static str)> = super::find_personal_at(text, today);
    found.sort_by_key(|(r, _)| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (range, cc) in found {
        if range.start < done {
            continue;
        }
        let original = &text[range.clone()];
        out.push_str(&text[done..range.start]);
        match stand_in(cc, original, today) {
            Some(s) => out.push_str(&s),
            // No stand-in found: never keep the original; the masked form at least
            // says what it was.
            None => out.push_str(&super::mask_at(cc, original, today).unwrap_or_default()),
        }
        done = range.end;
    }
    out.push_str(&text[done..]);
    out
}

/// The leading digits that carry the birth date (and so stay).
fn kept_digits(cc: &str, original: &str) -> usize {
    let digits: Vec<u8> = original
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    match cc {
        "EE" | "LT" => 7,
        "LV" if digits.len() == 11 && digits[0] == 3 && digits[1] >= 2 => 2,
        "SE" if digits.len() == 12 => 8,
        _ => 6,
    }
}

/// The countries whose personal rules `value` passes, and how it passes
/// the rules of `cc`.
fn profile(cc: &str, value: &str, today: NaiveDate) -> Option<(Vec<&'static str>, Valid)> {
    let valid = validate_at(cc, Kind::Person, value, today).ok()?;
    let countries = COUNTRIES
        .iter()
        .copied()
        .filter(|c| validate_at(c, Kind::Person, value, today).is_ok())
        .collect();
    Some((countries, valid))
}

/// A synthetic number that `cc`'s rules (and every other country's) judge
/// exactly as they judge `original`.
pub fn stand_in(cc: &str, original: &str, today: NaiveDate) -> Option<String> {
    let (countries, valid) = profile(cc, original, today)?;
    let keep = kept_digits(cc, original);
    let chars: Vec<char> = original.chars().collect();
    // The positions that vary: every digit after the kept ones, and a final
    // letter (the Finnish check character).
    let mut seen = 0;
    let mut varying = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_digit() {
            seen += 1;
            if seen > keep {
                varying.push(i);
            }
        } else if i + 1 == chars.len() && c.is_ascii_alphabetic() && seen >= keep {
            varying.push(i);
        }
    }
    if varying.is_empty() {
        return None;
    }
    for attempt in 0..ATTEMPTS {
        let mut h = Sha256::new();
        h.update(original.as_bytes());
        h.update(attempt.to_be_bytes());
        let bytes = h.finalize();
        let mut candidate = chars.clone();
        for (n, &i) in varying.iter().enumerate() {
            let b = bytes[n % bytes.len()] as usize;
            let last = i + 1 == chars.len();
            candidate[i] = if last && cc_uses_check_character(cc) {
                fi::ALPHABET.as_bytes()[b % 31] as char
            } else {
                char::from(b'0' + (b % 10) as u8)
            };
        }
        let candidate: String = candidate.into_iter().collect();
        if candidate == original {
            continue;
        }
        let same_countries = |c: &[&str]| {
            if attempt < STRICT_ATTEMPTS {
                c == countries.as_slice()
            } else {
                family(cc)
                    .iter()
                    .filter(|f| countries.contains(f))
                    .all(|f| c.contains(f))
            }
        };
        if let Some((c, v)) = profile(cc, &candidate, today)
            && same_countries(&c)
            && v.flags == valid.flags
            && v.birth_date == valid.birth_date
            && v.scheme == valid.scheme
        {
            return Some(candidate);
        }
    }
    None
}

fn cc_uses_check_character(cc: &str) -> bool {
    matches!(cc, "FI" | "AX")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ident::tests::day;
    use crate::ident::{find_personal_at, mask_at};

    #[test]
    fn stand_ins_are_valid_stable_and_keep_the_form() {
        let t = day("2026-06-01");
        for (cc, original) in [
            ("FI", "131052-308T"),
            ("FI", "010594Y9032"),
            ("SE", "19121212-1212"),
            ("SE", "121212+1212"),
            ("SE", "701063-2391"),
            ("NO", "15108695088"),
            ("NO", "24888710260"),
            ("NO", "64108710045"),
            ("DK", "211062-5629"),
            ("EE", "38001085718"),
            ("LT", "33309240064"),
            ("LV", "161175-19997"),
            ("LV", "329999-99901"),
            ("IS", "120174-3399"),
            ("IS", "0101302989"),
            // Valid in the FI, SE, IS and DK schemes at once, by coincidence.
            ("IS", "040715-6579"),
            ("FO", "010190-123"),
        ] {
            let s = stand_in(cc, original, t).unwrap_or_else(|| panic!("{cc} {original}"));
            assert_ne!(s, original);
            assert_eq!(s.len(), original.len(), "{s}");
            let a = validate_at(cc, Kind::Person, original, t).unwrap();
            let b = validate_at(cc, Kind::Person, &s, t).unwrap();
            assert_eq!(a.birth_date, b.birth_date, "{cc} {original} → {s}");
            assert_eq!(a.flags, b.flags, "{cc} {original} → {s}");
            assert_eq!(a.masked(), b.masked(), "{cc} {original} → {s}");
            assert_eq!(mask_at(cc, original, t), mask_at(cc, &s, t));
            // Stable: the same original, the same stand-in.
            assert_eq!(stand_in(cc, original, t).as_deref(), Some(s.as_str()));
        }
    }

    #[test]
    fn text_keeps_everything_but_the_numbers() {
        let t = day("2026-06-01");
        let text = r#"{"user": "EE38001085718", "fi": "131052-308T", "bad": "131052-308U", "org": "0245437-2"}"#;
        let out = pseudonymise_at(text, t);
        assert!(!out.contains("38001085718"), "{out}");
        assert!(!out.contains("131052-308T"), "{out}");
        assert!(out.contains(r#""user": "EE3800108"#), "{out}");
        // Not personal numbers: left alone.
        assert!(
            out.contains("131052-308U") && out.contains("0245437-2"),
            "{out}"
        );
        assert_eq!(out, pseudonymise_at(text, t), "stable");
        // Still JSON, and the stand-ins are found as personal numbers again.
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["user"].as_str().unwrap().starts_with("EE3800108"));
        assert_eq!(
            find_personal_at(&out, t).len(),
            find_personal_at(text, t).len()
        );
    }

    proptest::proptest! {
        /// Every generated valid number gets a stand-in that the rules of
        /// every country judge exactly as they judge the original.
        #[test]
        fn every_valid_number_gets_an_equivalent_stand_in(
            fi in crate::ident::fi::tests::hetu(),
            (se, _) in crate::ident::se::tests::personnummer(),
            no in crate::ident::no::tests::fnr(),
            ee in crate::ident::ee::tests::isikukood(6),
            is in crate::ident::is::tests::kt(0),
            lv in crate::ident::lv::tests::old_code(),
        ) {
            let t = day("2026-06-01");
            for (cc, id) in [("FI", &fi), ("SE", &se), ("NO", &no), ("EE", &ee), ("IS", &is), ("LV", &lv)] {
                let s = stand_in(cc, id, t);
                proptest::prop_assert!(s.is_some(), "{cc} {id}: no stand-in");
                let s = s.unwrap();
                let (before, a) = profile(cc, id, t).unwrap();
                let (after, b) = profile(cc, &s, t).unwrap();
                proptest::prop_assert_eq!(a.birth_date, b.birth_date);
                proptest::prop_assert_eq!(a.flags, b.flags);
                for f in family(cc).iter().filter(|f| before.contains(f)) {
                    proptest::prop_assert!(after.contains(f), "{} {} → {}: not valid in {}", cc, id, s, f);
                }
            }
        }
    }
}
