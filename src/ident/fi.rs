//! Finland and Åland: the personal identity code (henkilötunnus) and the
//! business ID (Y-tunnus).
//!
//! Sources:
//! - Henkilötunnus: Digi- ja väestötietovirasto (DVV), "Henkilötunnus" /
//!   "Personal identity code", <https://dvv.fi/en/personal-identity-code>;
//!   Valtioneuvoston asetus väestötietojärjestelmästä 128/2010 (the form
//!   DDMMYYCZZZQ, individual numbers 002–899, 900–999 for temporary codes,
//!   the check character of the nine digits modulo 31); the century signs
//!   added on 1 January 2023 (Y X W V U for the 1900s, B C D E F for the
//!   2000s): DVV, "Henkilötunnuksen välimerkkiuudistus",
//!   <https://dvv.fi/hetu-uudistus> ("Henkilötunnuksen välimerkki muuttui
//!   erottelevaksi asetusmuutoksella vuonna 2023"); the older VRK page
//!   <https://vrk.fi/henkilotunnus1> gives the example 131052-308T and the
//!   individual numbers 002–899. DVV's fictitious test persons (an Excel
//!   sheet linked there) use individual numbers 9xx (`010594Y9032`, …).
//! - Y-tunnus: Patentti- ja rekisterihallitus and Verohallinto, YTJ
//!   (<https://www.ytj.fi>), "Y-tunnus": seven digits, `-`, a check digit
//!   with weights 7, 9, 10, 5, 8, 4, 2 modulo 11; remainder 0 gives 0,
//!   remainder 1 is never issued, otherwise 11 − remainder.

use chrono::NaiveDate;

use super::{C, Flag, Invalid, Kind, Reason, Valid, date, digit_char, not_future, num, shape};

/// The check characters, by remainder modulo 31.
pub(crate) const ALPHABET: &str = "0123456789ABCDEFHJKLMNPRSTUVWXY";
const SIGNS: &str = "+-YXWVUABCDEF";
const PERSON: &str = "personal identity code";
const BUSINESS: &str = "business ID (Y-tunnus)";
const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];

pub(crate) fn century(sign: char) -> Option<i32> {
    match sign {
        '+' => Some(1800),
        '-' | 'Y' | 'X' | 'W' | 'V' | 'U' => Some(1900),
        'A'..='F' => Some(2000),
        _ => None,
    }
}

/// The check character of DDMMYYZZZ.
pub(crate) fn check_char(nine: u32) -> char {
    ALPHABET.as_bytes()[(nine % 31) as usize] as char
}

pub(super) fn person(cc: &'static str, value: &str, today: NaiveDate) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, PERSON, value, reason);
    let spec = [
        C::D,
        C::D,
        C::D,
        C::D,
        C::D,
        C::D,
        C::Century(
            SIGNS,
            "+ (1800s); -, Y, X, W, V, U (1900s); A, B, C, D, E, F (2000s)",
        ),
        C::D,
        C::D,
        C::D,
        C::Any(
            ALPHABET,
            "a check character: a digit or one of A–F, H, J–N, P, R–Y (upper case)",
        ),
    ];
    let ch = shape(value, &spec, "11 (DDMMYYCZZZQ)").map_err(fail)?;
    let year = century(ch[6]).unwrap_or(1900) + num(&ch[4..6]) as i32;
    let born = date(year, num(&ch[2..4]), num(&ch[0..2]), "").map_err(fail)?;
    not_future(born, today).map_err(fail)?;
    let individual = num(&ch[7..10]);
    if individual < 2 {
        return Err(fail(Reason::Component(format!(
            "individual number {individual:03} is never issued (002–899; 900–999 for temporary codes)"
        ))));
    }
    let expected = check_char(num(&ch[0..6]) * 1000 + individual);
    if ch[10] != expected {
        return Err(fail(Reason::CheckDigit {
            what: "check character",
            found: ch[10],
            expected,
        }));
    }
    let mut flags = Vec::new();
    if individual >= 900 {
        flags.push(Flag::Temporary);
    }
    Ok(Valid {
        country: cc,
        kind: Kind::Person,
        scheme: "personal identity code (henkilötunnus)",
        normalised: value.to_string(),
        birth_date: Some(born),
        flags,
        notes: Vec::new(),
        mask_keep: 7,
    })
}

/// The Y-tunnus check digit of the first seven digits, `None` for remainder 1.
pub(crate) fn business_check(d: &[u32]) -> Option<u32> {
    match super::weighted(d, &WEIGHTS) % 11 {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

pub(super) fn business_id(cc: &'static str, value: &str) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, BUSINESS, value, reason);
    let spec = [C::D, C::D, C::D, C::D, C::D, C::D, C::D, C::Lit('-'), C::D];
    let ch = shape(value, &spec, "9 (NNNNNNN-C)").map_err(fail)?;
    let d = super::digit_values(&ch[..7]);
    let Some(expected) = business_check(&d) else {
        return Err(fail(Reason::NoCheckDigit(
            "the weighted sum of the first seven digits leaves remainder 1, for which no check digit exists: such business IDs are never issued".into(),
        )));
    };
    if ch[8] != digit_char(expected) {
        return Err(fail(Reason::CheckDigit {
            what: "check digit",
            found: ch[8],
            expected: digit_char(expected),
        }));
    }
    Ok(Valid {
        country: cc,
        kind: Kind::Organisation,
        scheme: "business ID (Y-tunnus)",
        normalised: value.to_string(),
        birth_date: None,
        flags: Vec::new(),
        notes: Vec::new(),
        mask_keep: 9,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{Kind, Reason, validate_at};
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }
    fn fi(v: &str) -> Result<Valid, Invalid> {
        validate_at("FI", Kind::Person, v, today())
    }

    #[test]
    fn published_codes() {
        // DVV's example and its fictitious test persons (individual numbers 9xx).
        let v = fi("131052-308T").unwrap();
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1952, 10, 13));
        for code in [
            "010594Y9032",
            "010594Y9021",
            "020594X903P",
            "020594X902N",
            "030594W903B",
            "040594V9030",
            "050594U903M",
            "010516B903X",
            "020516C903K",
            "030516D9037",
            "010501E9032",
            "020503F9037",
            "020504A902E",
        ] {
            let v = fi(code).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(v.flags, vec![Flag::Temporary], "{code}");
        }
        // Åland uses the Finnish code.
        assert!(validate_at("AX", Kind::Person, "131052-308T", today()).is_ok());
    }

    #[test]
    fn reasons() {
        let r = |v: &str| fi(v).unwrap_err().reason;
        assert_eq!(
            r("131052-308U"),
            Reason::CheckDigit {
                what: "check character",
                found: 'U',
                expected: 'T'
            }
        );
        assert!(matches!(r("131052-308"), Reason::Length { found: 10, .. }));
        assert!(
            matches!(r("131052Z308T"), Reason::Century(_)),
            "{:?}",
            r("131052Z308T")
        );
        assert!(matches!(r("131052a308T"), Reason::Century(_)));
        assert!(matches!(
            r("1310x2-308T"),
            Reason::Character { position: 5, .. }
        ));
        assert!(matches!(
            r("131052-308G"),
            Reason::Character { position: 11, .. }
        ));
        assert!(matches!(
            r("131052-308t"),
            Reason::Character { position: 11, .. }
        ));
        assert!(matches!(r("310252-308T"), Reason::Date(_)));
        assert!(
            matches!(r("010199A0012"), Reason::Date(_)),
            "2099 is in the future"
        );
        assert!(matches!(r("010190-0012"), Reason::Component(_)));
    }

    #[test]
    fn business_ids() {
        let b = |v: &str| validate_at("FI", Kind::Organisation, v, today());
        // DVV's own business ID.
        assert!(b("0245437-2").is_ok());
        assert_eq!(
            b("0245437-3").unwrap_err().to_string(),
            "FI business ID (Y-tunnus) 0245437-3: check digit is 3, expected 2"
        );
        assert!(matches!(
            b("245437-2").unwrap_err().reason,
            Reason::Length { .. }
        ));
        assert!(matches!(
            b("02454372-").unwrap_err().reason,
            Reason::Character { position: 8, .. }
        ));
        let d = [0, 0, 0, 0, 1, 0, 0]; // 8 → 11 − 8
        assert_eq!(business_check(&d), Some(3));
        let d = [1, 0, 0, 0, 0, 0, 0]; // 7
        assert_eq!(business_check(&d), Some(4));
        let d = [0, 0, 0, 0, 0, 0, 6]; // 12 ≡ 1
        assert_eq!(business_check(&d), None);
        assert!(matches!(
            b("0000006-0").unwrap_err().reason,
            Reason::NoCheckDigit(_)
        ));
    }

    pub(crate) fn hetu() -> impl Strategy<Value = String> {
        (1900i32..2025, 1u32..=12, 1u32..=31, 2u32..=999, 0usize..6).prop_filter_map(
            "a real date",
            |(y, m, d, ind, sign)| {
                NaiveDate::from_ymd_opt(y, m, d)?;
                let signs: &[char] = if y >= 2000 {
                    &['A', 'B', 'C', 'D', 'E', 'F']
                } else {
                    &['-', 'Y', 'X', 'W', 'V', 'U']
                };
                let sign = signs[sign];
                let six = format!("{d:02}{m:02}{:02}", y % 100);
                let nine: u32 = format!("{six}{ind:03}").parse().ok()?;
                Some(format!("{six}{sign}{ind:03}{}", check_char(nine)))
            },
        )
    }

    proptest! {
        #[test]
        fn generated_codes_pass(code in hetu()) {
            prop_assert!(fi(&code).is_ok(), "{code}: {:?}", fi(&code));
        }

        /// Modulo 31 catches every change of one digit (31 is a prime that
        /// divides no digit difference times a power of ten) and of the check
        /// character. The century sign is not covered by the check character.
        #[test]
        fn single_changes_are_caught(code in hetu(), pos in 0usize..10, to in 0usize..30) {
            let pos = if pos >= 6 { pos + 1 } else { pos };
            let changed = if pos == 10 {
                let mut chars: Vec<char> = code.chars().collect();
                let old = ALPHABET.find(chars[10]).unwrap();
                chars[10] = ALPHABET.as_bytes()[(old + 1 + to) % 31] as char;
                chars.into_iter().collect()
            } else {
                crate::ident::tests::change_digit(&code, pos, to as u32)
            };
            prop_assert!(fi(&changed).is_err(), "{code} → {changed} passes");
        }

        #[test]
        fn generated_business_ids_pass_and_changes_are_caught(
            d in proptest::collection::vec(0u32..10, 7), pos in 0usize..8, to in 0u32..10
        ) {
            let Some(c) = business_check(&d) else { return Ok(()) };
            let id: String = d.iter().map(|x| digit_char(*x)).collect::<String>() + "-" + &c.to_string();
            let b = |v: &str| validate_at("FI", Kind::Organisation, v, today());
            prop_assert!(b(&id).is_ok(), "{id}");
            let at = if pos == 7 { 8 } else { pos };
            let changed = crate::ident::tests::change_digit(&id, at, to);
            prop_assert!(b(&changed).is_err(), "{id} → {changed} passes");
        }
    }
}
