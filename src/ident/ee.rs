//! Estonia: the personal identification code (isikukood) and the registry
//! code (registrikood). Lithuania's asmens kodas shares the scheme (`lt.rs`).
//!
//! Sources:
//! - Eesti standard EVS 585:2007 "Isikukood. Struktuur", which the
//!   regulation "Isikukoodide moodustamise, väljajagamise ja andmise kord"
//!   (<https://www.riigiteataja.ee/akt/110062015004>, § 2: "Isikukood
//!   moodustatakse Eesti Vabariigi standardi EVS 585:2007 … alusel") makes
//!   binding under the Population Register Act: eleven digits
//!   GYYMMDDSSSC; G gives century and sex (1/2: 1800s, 3/4: 1900s, 5/6:
//!   2000s, 7/8: 2100s); the check digit is the weighted sum of the first
//!   ten digits with weights 1 2 3 4 5 6 7 8 9 1 modulo 11; a remainder of
//!   10 is replaced by the sum with weights 3 4 5 6 7 8 9 1 2 3 modulo 11,
//!   and a second 10 by 0.
//! - Registry codes: Registrite ja Infosüsteemide Keskus (RIK), e-Äriregister
//!   (<https://ariregister.rik.ee>): eight digits, the first 1 (commercial
//!   register), 7 (state and local government institutions), 8 (non-profit
//!   associations) or 9 (foundations). The check digit follows the same
//!   two-stage scheme over seven digits; RIK does not publish it, it was
//!   confirmed on real codes (RIA 70006317) only.
//! - Test identities: 38001085718 and 49403136526 (the documentation's
//!   examples), the TARA test user 60001019906 (6: a woman born in the
//!   2000s, on 1 January 2000), the Smart-ID demo identity 30303039914.
//!
//! The two-stage scheme does not catch every change of one digit: a change
//! that moves the number from one stage to the other (the first remainder
//! becoming 10, or stopping to be 10) can meet the same check digit.

use chrono::NaiveDate;

use super::{
    Invalid, Kind, Reason, Valid, date, digit_char, digit_values, digits, not_future, shape,
};

/// The check digit of `d` (the digits before it), and whether the first
/// stage gave it.
pub(crate) fn check(d: &[u32]) -> (u32, bool) {
    let stage = |offset: usize| -> u32 {
        d.iter()
            .enumerate()
            .map(|(i, x)| x * (((i + offset) % 9) as u32 + 1))
            .sum::<u32>()
            % 11
    };
    let first = stage(0);
    if first < 10 {
        return (first, true);
    }
    (stage(2) % 10, false)
}

/// The rules of one country's use of the scheme.
pub(crate) struct Rules {
    pub scheme: &'static str,
    pub short: &'static str,
    /// The highest century-and-sex digit.
    pub max_first: u32,
    pub centuries: &'static str,
    /// LT: first digit 9 for exceptional codes without birth-date
    /// information, and 00 for an unknown month or day.
    pub exceptions: bool,
}

pub(crate) const EE: Rules = Rules {
    scheme: "personal identification code (isikukood)",
    short: "personal identification code",
    max_first: 8,
    centuries: "1–8 (1/2: 1800s, 3/4: 1900s, 5/6: 2000s, 7/8: 2100s)",
    exceptions: false,
};

pub(super) fn person(cc: &'static str, value: &str, today: NaiveDate) -> Result<Valid, Invalid> {
    personal_code(cc, value, today, &EE)
}

pub(crate) fn personal_code(
    cc: &'static str,
    value: &str,
    today: NaiveDate,
    rules: &Rules,
) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, rules.short, value, reason);
    let d = digit_values(&shape(value, &digits::<11>(), "11 digits").map_err(fail)?);
    let first = d[0];
    let exceptional = rules.exceptions && first == 9;
    if !exceptional && !(1..=rules.max_first).contains(&first) {
        return Err(fail(Reason::Century(format!(
            "the first digit {first} is not a century-and-sex digit: expected {}",
            rules.centuries
        ))));
    }
    let (yy, month, day) = (d[1] * 10 + d[2], d[3] * 10 + d[4], d[5] * 10 + d[6]);
    let mut notes = Vec::new();
    let born = if exceptional {
        notes.push("first digit 9: an exceptional code without birth-date information".into());
        None
    } else if rules.exceptions && (month == 0 || day == 0) {
        // An unknown month or day is written 00; what is known must exist.
        let year = 1800 + 100 * ((first as i32 - 1) / 2) + yy as i32;
        let probe = date(year, month.max(1), day.max(1), "month or day 00: not known");
        probe.map_err(fail)?;
        notes.push("month or day 00: the birth date is not fully known".into());
        None
    } else {
        let year = 1800 + 100 * ((first as i32 - 1) / 2) + yy as i32;
        let born = date(year, month, day, "").map_err(fail)?;
        not_future(born, today).map_err(fail)?;
        Some(born)
    };
    let (expected, _) = check(&d[..10]);
    if d[10] != expected {
        return Err(fail(Reason::CheckDigit {
            what: "check digit",
            found: digit_char(d[10]),
            expected: digit_char(expected),
        }));
    }
    Ok(Valid {
        country: cc,
        kind: Kind::Person,
        scheme: rules.scheme,
        normalised: value.to_string(),
        birth_date: born,
        flags: Vec::new(),
        notes,
        mask_keep: 7,
    })
}

pub(super) fn registry_code(cc: &'static str, value: &str) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, "registry code", value, reason);
    let d = digit_values(&shape(value, &digits::<8>(), "8 digits").map_err(fail)?);
    if ![1, 7, 8, 9].contains(&d[0]) {
        return Err(fail(Reason::Component(format!(
            "the first digit is {}, but registry codes begin with 1 (commercial register), 7 (state and local government), 8 (non-profit associations) or 9 (foundations)",
            d[0]
        ))));
    }
    let (expected, _) = check(&d[..7]);
    if d[7] != expected {
        return Err(fail(Reason::CheckDigit {
            what: "check digit",
            found: digit_char(d[7]),
            expected: digit_char(expected),
        }));
    }
    Ok(Valid {
        country: cc,
        kind: Kind::Organisation,
        scheme: "registry code (registrikood)",
        normalised: value.to_string(),
        birth_date: None,
        flags: Vec::new(),
        notes: Vec::new(),
        mask_keep: 8,
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
    fn ee(v: &str) -> Result<Valid, Invalid> {
        validate_at("EE", Kind::Person, v, today())
    }

    #[test]
    fn published_codes() {
        assert_eq!(
            ee("38001085718").unwrap().birth_date,
            NaiveDate::from_ymd_opt(1980, 1, 8)
        );
        assert_eq!(
            ee("49403136526").unwrap().birth_date,
            NaiveDate::from_ymd_opt(1994, 3, 13)
        );
        // TARA's test user: 6 is a woman born in the 2000s, 000101 is 1 January 2000.
        assert_eq!(
            ee("60001019906").unwrap().birth_date,
            NaiveDate::from_ymd_opt(2000, 1, 1)
        );
        assert!(ee("30303039914").is_ok(), "Smart-ID demo");
    }

    #[test]
    fn reasons() {
        let r = |v: &str| ee(v).unwrap_err().reason;
        assert_eq!(
            r("38001085719"),
            Reason::CheckDigit {
                what: "check digit",
                found: '9',
                expected: '8'
            }
        );
        assert!(matches!(r("98001085718"), Reason::Century(_)));
        assert!(matches!(r("08001085718"), Reason::Century(_)));
        assert!(matches!(r("38002305718"), Reason::Date(_)));
        assert!(
            matches!(r("78001085718"), Reason::Date(_)),
            "2180 is in the future"
        );
        assert!(matches!(r("3800108571"), Reason::Length { .. }));
    }

    #[test]
    fn second_stage() {
        // 3330924006: the first stage gives 10, the second 4.
        assert_eq!(check(&[3, 3, 3, 0, 9, 2, 4, 0, 0, 6]), (4, false));
    }

    #[test]
    fn registry_codes() {
        let r = |v: &str| validate_at("EE", Kind::Organisation, v, today());
        assert!(r("70006317").is_ok(), "RIA");
        assert!(r("12345678").is_ok());
        assert!(matches!(
            r("12345679").unwrap_err().reason,
            Reason::CheckDigit { .. }
        ));
        assert!(matches!(
            r("32345674").unwrap_err().reason,
            Reason::Component(_)
        ));
    }

    /// A valid code of the scheme: first digit `g`, a date, a serial.
    pub(crate) fn code(g: u32, yy: u32, m: u32, d: u32, serial: u32) -> String {
        let ten = format!("{g}{yy:02}{m:02}{d:02}{serial:03}");
        let digits: Vec<u32> = ten.chars().filter_map(|c| c.to_digit(10)).collect();
        format!("{ten}{}", check(&digits).0)
    }

    pub(crate) fn isikukood(max_first: u32) -> impl Strategy<Value = String> {
        (
            1u32..=max_first,
            0u32..100,
            1u32..=12,
            1u32..=31,
            0u32..1000,
        )
            .prop_filter_map("a real past date", |(g, yy, m, d, serial)| {
                let year = 1800 + 100 * ((g as i32 - 1) / 2) + yy as i32;
                let born = NaiveDate::from_ymd_opt(year, m, d)?;
                (born <= NaiveDate::from_ymd_opt(2026, 6, 1)?).then(|| code(g, yy, m, d, serial))
            })
    }

    /// Whether the first stage gives the check digit of `code`.
    pub(crate) fn first_stage(code: &str) -> bool {
        let d: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
        check(&d[..d.len() - 1]).1
    }

    proptest! {
        #[test]
        fn generated_codes_pass(c in isikukood(8)) {
            prop_assert!(ee(&c).is_ok(), "{c}: {:?}", ee(&c));
        }

        /// What the scheme guarantees: a change of the check digit is always
        /// caught; a change of another digit is caught unless the changed
        /// code takes the check digit from the other stage.
        #[test]
        fn single_changes_are_caught_within_a_stage(c in isikukood(8), pos in 0usize..11, to in 0u32..10) {
            let changed = crate::ident::tests::change_digit(&c, pos, to);
            if ee(&changed).is_ok() {
                prop_assert!(pos != 10, "{c} → {changed}: a changed check digit passes");
                prop_assert_ne!(first_stage(&c), first_stage(&changed), "{} → {} passes within one stage", c, changed);
            }
        }

        #[test]
        fn registry_code_changes_are_caught_within_a_stage(
            rest in proptest::collection::vec(0u32..10, 6), first in prop::sample::select(vec![1u32, 7, 8, 9]),
            pos in 0usize..8, to in 0u32..10
        ) {
            let r = |v: &str| validate_at("EE", Kind::Organisation, v, today());
            let mut d = vec![first];
            d.extend(rest);
            d.push(check(&d).0);
            let id: String = d.iter().map(|x| digit_char(*x)).collect();
            prop_assert!(r(&id).is_ok(), "{id}");
            let changed = crate::ident::tests::change_digit(&id, pos, to);
            if r(&changed).is_ok() {
                prop_assert!(pos != 7);
                prop_assert_ne!(first_stage(&id), first_stage(&changed), "{} → {}", id, changed);
            }
        }
    }
}
