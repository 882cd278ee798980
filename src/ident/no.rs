//! Norway: fødselsnummer and D-number, the synthetic numbers of the test
//! registry, H-numbers, and the organisasjonsnummer.
//!
//! Sources:
//! - Skatteetaten (the Folkeregister), "Fødselsnummer" and "D-nummer",
//!   <https://www.skatteetaten.no/person/folkeregister/identitetsnummer/>;
//!   Folkeregisterloven § 2-2 and folkeregisterforskriften: DDMMYY, a
//!   three-digit individual number whose range gives the century
//!   (000–499: 1900–1999; 500–749: 1854–1899; 500–999: 2000–2039;
//!   900–999: 1940–1999), and two modulo-11 check digits, weights
//!   3 7 6 1 8 9 4 5 2 and 5 4 3 2 7 6 5 4 3 2; 11 − remainder, 11 → 0, and a
//!   result of 10 is never issued. D-numbers add 4 to the first digit (day +
//!   40); UDI notes that the date may then be the registration date.
//! - Skatteetaten, "Nye fødselsnummer og d-nummer fra 2032",
//!   <https://www.skatteetaten.no/deling/opplysninger/folkeregisteropplysninger/pid/>:
//!   for numbers issued from 1 January 2032 the check computation "vil
//!   akseptere 0, 1, 2 og 3 som gyldige verdier" where today's accepts only
//!   0 (read here as the first check digit's remainder). Applied here
//!   only from that date; the second check digit is unchanged.
//! - Test data: Skatteetaten's synthetic population (Tenor testdatasøk,
//!   Test-Norge) adds 80 to the month
//!   (<https://www.skatteetaten.no/skjema/testdata/>; NAV's Test-Norge
//!   documentation: "syntetiske fnr/dnr hvor det er lagt til 80 på måned").
//!   NAV's own synthetic numbers (Dolly) add 40, the form of the health
//!   services' H-numbers (help numbers): accepted and flagged. FH-numbers
//!   (first digit 8 or 9) carry no birth date and are refused.
//! - Brønnøysundregistrene, "The organization number",
//!   <http://www.brreg.no/english/coordination/number.html>: nine digits,
//!   the last a modulo-11 check digit with weights 3 2 7 6 5 4 3 2
//!   (remainder 0 → 0; 10 "is not a valid check digit"); worked example
//!   12345678 → 123456785.

use chrono::NaiveDate;

use super::{
    Flag, Invalid, Kind, Reason, Valid, date, digit_char, digit_values, digits, not_future, shape,
    weighted,
};

const PERSON: &str = "national identity number";
const ORG: &str = "organisation number";
pub(crate) const W1: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
pub(crate) const W2: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
const ORG_WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];

/// 11 − (weighted sum mod 11), 11 → 0; `None` for 10.
pub(crate) fn mod11(d: &[u32], w: &[u32]) -> Option<u32> {
    match 11 - weighted(d, w) % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

/// The century an individual number gives a two-digit year.
pub(crate) fn century(individual: u32, yy: u32) -> Option<i32> {
    match individual {
        0..=499 => Some(1900),
        500..=749 if yy >= 54 => Some(1800),
        500..=999 if yy <= 39 => Some(2000),
        900..=999 if yy >= 40 => Some(1900),
        _ => None,
    }
}

fn rule_2032(today: NaiveDate) -> bool {
    today >= NaiveDate::from_ymd_opt(2032, 1, 1).unwrap_or(NaiveDate::MAX)
}

pub(super) fn person(cc: &'static str, value: &str, today: NaiveDate) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, PERSON, value, reason);
    let d = digit_values(&shape(value, &digits::<11>(), "11 digits").map_err(fail)?);
    let raw_day = d[0] * 10 + d[1];
    let raw_month = d[2] * 10 + d[3];
    let mut flags = Vec::new();
    if raw_day >= 80 {
        return Err(fail(Reason::Component(
            "a first digit of 8 or 9 marks an FH-number (common help number of the health services), which carries no birth date and is not a national identity number".into(),
        )));
    }
    let day = if raw_day > 40 {
        flags.push(Flag::DNumber);
        raw_day - 40
    } else {
        raw_day
    };
    let month = match raw_month {
        41..=52 => {
            flags.push(Flag::HelpNumber);
            raw_month - 40
        }
        81..=92 => {
            flags.push(Flag::Synthetic);
            raw_month - 80
        }
        13..=40 | 53..=80 | 93..=99 => {
            return Err(fail(Reason::Date(format!(
                "impossible date: month {raw_month:02} is neither a month (01–12) nor a help-number or synthetic month (41–52, 81–92)"
            ))));
        }
        m => m,
    };
    let yy = d[4] * 10 + d[5];
    let individual = d[6] * 100 + d[7] * 10 + d[8];
    let Some(century) = century(individual, yy) else {
        return Err(fail(Reason::Century(format!(
            "individual number {individual:03} with year {yy:02} fits no century of the allocation table (000–499: 1900–1999; 500–749: 1854–1899; 500–999: 2000–2039; 900–999: 1940–1999)"
        ))));
    };
    let how = match (flags.contains(&Flag::DNumber), raw_month != month) {
        (true, true) => "D-number: day − 40; month without its offset",
        (true, false) => "D-number: day − 40",
        (false, true) => "month without its offset",
        (false, false) => "",
    };
    let born = date(century + yy as i32, month, day, how).map_err(fail)?;
    not_future(born, today).map_err(fail)?;
    // First check digit: the weighted sum of the ten digits, k1 included with
    // weight 1, must leave remainder 0 (0–3 for numbers issued from 2032).
    let remainder = (weighted(&d[..9], &W1) + d[9]) % 11;
    if remainder != 0 {
        if rule_2032(today) && remainder <= 3 {
            flags.push(Flag::CheckRule2032);
        } else {
            return Err(fail(match mod11(&d[..9], &W1) {
                None => Reason::NoCheckDigit(
                    "the first nine digits admit no first check digit (remainder 10): such numbers are never issued".into(),
                ),
                Some(k1) => Reason::CheckDigit {
                    what: "first check digit",
                    found: digit_char(d[9]),
                    expected: digit_char(k1),
                },
            }));
        }
    }
    match mod11(&d[..10], &W2) {
        None => {
            return Err(fail(Reason::NoCheckDigit(
                "the first ten digits admit no second check digit (remainder 10): such numbers are never issued".into(),
            )));
        }
        Some(k2) if k2 != d[10] => {
            return Err(fail(Reason::CheckDigit {
                what: "second check digit",
                found: digit_char(d[10]),
                expected: digit_char(k2),
            }));
        }
        Some(_) => {}
    }
    Ok(Valid {
        country: cc,
        kind: Kind::Person,
        scheme: if flags.contains(&Flag::DNumber) {
            "D-number (d-nummer)"
        } else {
            "national identity number (fødselsnummer)"
        },
        normalised: value.to_string(),
        birth_date: Some(born),
        flags,
        notes: Vec::new(),
        mask_keep: 6,
    })
}

pub(super) fn organisation(cc: &'static str, value: &str) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, ORG, value, reason);
    let d = digit_values(&shape(value, &digits::<9>(), "9 digits").map_err(fail)?);
    match mod11(&d[..8], &ORG_WEIGHTS) {
        None => Err(fail(Reason::NoCheckDigit(
            "the first eight digits admit no check digit (remainder 10): such numbers are never issued".into(),
        ))),
        Some(c) if c != d[8] => Err(fail(Reason::CheckDigit {
            what: "check digit",
            found: digit_char(d[8]),
            expected: digit_char(c),
        })),
        Some(_) => Ok(Valid {
            country: cc,
            kind: Kind::Organisation,
            scheme: "organisation number (organisasjonsnummer)",
            normalised: value.to_string(),
            birth_date: None,
            flags: Vec::new(),
            notes: Vec::new(),
            mask_keep: 9,
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{Kind, Reason, validate_at};
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }
    fn no(v: &str) -> Result<Valid, Invalid> {
        validate_at("NO", Kind::Person, v, today())
    }

    #[test]
    fn published_and_synthetic_numbers() {
        // Ordinary numbers of the century table.
        assert_eq!(
            no("15108695088").unwrap().birth_date,
            NaiveDate::from_ymd_opt(1986, 10, 15)
        );
        assert_eq!(
            no("02016126007").unwrap().birth_date,
            NaiveDate::from_ymd_opt(1961, 1, 2)
        );
        assert_eq!(
            no("30042099941").unwrap().birth_date,
            NaiveDate::from_ymd_opt(2020, 4, 30)
        );
        // NAV's synthetic (Dolly) numbers: month + 40, also as D-numbers.
        let v = no("15507600333").unwrap();
        assert_eq!(v.flags, vec![Flag::HelpNumber]);
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1976, 10, 15));
        let v = no("69422056629").unwrap();
        assert_eq!(v.flags, vec![Flag::DNumber, Flag::HelpNumber]);
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(2020, 2, 29));
        // A Tenor synthetic number (month + 80), built by the rules above.
        let v = no("24888710260").unwrap();
        assert_eq!(v.flags, vec![Flag::Synthetic]);
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1987, 8, 24));
        // A D-number.
        let v = no("64108710045").unwrap();
        assert_eq!(v.scheme, "D-number (d-nummer)");
    }

    #[test]
    fn reasons() {
        let r = |v: &str| no(v).unwrap_err().reason;
        assert_eq!(
            r("15108695089"),
            Reason::CheckDigit {
                what: "second check digit",
                found: '9',
                expected: '8'
            }
        );
        assert!(matches!(
            r("15108695098"),
            Reason::CheckDigit {
                what: "first check digit",
                ..
            }
        ));
        assert!(
            matches!(r("81108695088"), Reason::Component(_)),
            "FH-number"
        );
        assert!(matches!(r("15138695088"), Reason::Date(_)));
        assert!(matches!(r("1510869508"), Reason::Length { found: 10, .. }));
        assert!(matches!(r("151086-95088"), Reason::Length { .. }));
        assert!(matches!(
            r("1510869508x"),
            Reason::Character { position: 11, .. }
        ));
        // 800 with year 86: no century.
        assert!(matches!(r("15108680088"), Reason::Century(_)));
    }

    #[test]
    fn the_2032_rule_applies_from_2032() {
        // A number whose first check sum leaves remainder 2.
        let base = [1, 5, 1, 0, 8, 6, 9, 5, 1];
        let k1 = (11 + 2 - weighted(&base, &W1) % 11) % 11;
        assert!(k1 < 10);
        let mut d: Vec<u32> = base.to_vec();
        d.push(k1);
        let Some(k2) = mod11(&d, &W2) else { return };
        d.push(k2);
        let s: String = d.iter().map(|x| digit_char(*x)).collect();
        assert!(validate_at("NO", Kind::Person, &s, today()).is_err());
        let later = NaiveDate::from_ymd_opt(2032, 1, 1).unwrap();
        let v = validate_at("NO", Kind::Person, &s, later).unwrap();
        assert!(v.flags.contains(&Flag::CheckRule2032));
    }

    #[test]
    fn organisation_numbers() {
        let o = |v: &str| validate_at("NO", Kind::Organisation, v, today());
        assert!(o("974760673").is_ok(), "Brønnøysundregistrene");
        assert!(
            o("123456785").is_ok(),
            "Brønnøysundregistrene's worked example"
        );
        assert!(o("974761076").is_ok(), "Skatteetaten");
        assert_eq!(
            o("974760674").unwrap_err().to_string(),
            "NO organisation number 974760674: check digit is 4, expected 3"
        );
    }

    pub(crate) fn fnr() -> impl Strategy<Value = String> {
        (1940i32..2025, 1u32..=12, 1u32..=31, 0u32..1000, 0u8..4).prop_filter_map(
            "a valid number",
            |(y, m, d, ind, kind)| {
                NaiveDate::from_ymd_opt(y, m, d)?;
                let yy = (y % 100) as u32;
                if century(ind, yy)? + yy as i32 != y {
                    return None;
                }
                let (dd, mm) = match kind {
                    0 => (d, m),
                    1 => (d + 40, m),
                    2 => (d, m + 40),
                    _ => (d, m + 80),
                };
                let nine = format!("{dd:02}{mm:02}{yy:02}{ind:03}");
                let mut v: Vec<u32> = nine.chars().filter_map(|c| c.to_digit(10)).collect();
                v.push(mod11(&v, &W1)?);
                v.push(mod11(&v, &W2)?);
                Some(v.iter().map(|x| digit_char(*x)).collect())
            },
        )
    }

    proptest! {
        #[test]
        fn generated_numbers_pass(n in fnr()) {
            prop_assert!(no(&n).is_ok(), "{n}: {:?}", no(&n));
        }

        /// The second check digit covers the ten digits before it with
        /// weights that are all non-zero modulo 11: every change of one
        /// digit is caught (before 2032; see `the_2032_rule_applies_from_2032`).
        #[test]
        fn single_changes_are_caught(n in fnr(), pos in 0usize..11, to in 0u32..10) {
            let changed = crate::ident::tests::change_digit(&n, pos, to);
            prop_assert!(no(&changed).is_err(), "{n} → {changed} passes");
        }

        #[test]
        fn organisation_changes_are_caught(
            d in proptest::collection::vec(0u32..10, 8), pos in 0usize..9, to in 0u32..10
        ) {
            let o = |v: &str| validate_at("NO", Kind::Organisation, v, today());
            let Some(c) = mod11(&d, &ORG_WEIGHTS) else { return Ok(()) };
            let id: String = d.iter().chain([c].iter()).map(|x| digit_char(*x)).collect();
            prop_assert!(o(&id).is_ok(), "{id}");
            let changed = crate::ident::tests::change_digit(&id, pos, to);
            prop_assert!(o(&changed).is_err(), "{id} → {changed} passes");
        }
    }
}
