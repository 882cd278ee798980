//! Denmark, Greenland and the Faroe Islands: the CPR number and the CVR
//! number; the Faroese p-tal and V-tal.
//!
//! Sources:
//! - CPR-kontoret, "Opbygning af CPR-nummeret",
//!   <https://www.cpr.dk/cpr-systemet/opbygning-af-cpr-nummeret>: positions
//!   5, 6 and 7 together give the century; "indtil den 1. oktober 2007
//!   opfyldte alle personnumre den såkaldte modulus 11 kontrol"; its PDF
//!   "Personnummeret i CPR-systemet" holds the century table. The
//!   form DDMMYY-SSSS and the table that gives the century from the seventh
//!   digit and the year (0–3: 1900s; 4 and 9: 2000–2036, else 1900s; 5–8:
//!   2000–2057, else 1858–1899). Since 1 October 2007 CPR numbers are issued
//!   without the modulus-11 check (weights 4 3 2 7 6 5 4 3 2 1): it is not
//!   enforced, only reported when a number passes it. The CPR register
//!   covers Greenland too.
//! - Erhvervsstyrelsen, "Modulus 11 kontrol",
//!   <http://erhvervsstyrelsen.dk/modulus_11>: eight digits, the eighth a
//!   check digit from the first seven with weights 2 7 6 5 4 3 2 (so the
//!   sum with weights 2 7 6 5 4 3 2 1 is divisible by 11); remainder 0 gives
//!   0, remainder 1 makes "ikke et gyldigt/eksisterende CVR-nummer". Its
//!   worked example is 13748136.
//! - TAKS (the Faroese tax administration), "P-tal",
//!   <https://www.taks.fo/en/individuals/tax/p-tal>: "The p-tal consists of
//!   nine numbers. The first six numbers are your date of birth"; no check
//!   digit and no century is published, so only the date is checked (in
//!   either century). Faroese residents with a Danish CPR number pass as CPR.
//! - TAKS and the OECD's TIN sheet for the Faroe Islands: the V-tal of legal
//!   persons is a consecutive six-digit number without a check digit.
//!   Greenland's business numbers (GER) are not covered.

use chrono::NaiveDate;

use super::{
    C, Flag, Invalid, Kind, Reason, Valid, date, digit_char, digit_values, digits, not_future,
    shape, weighted,
};

const CPR: &str = "CPR number";
const CVR: &str = "CVR number";
const CPR_WEIGHTS: [u32; 10] = [4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
const CVR_WEIGHTS: [u32; 8] = [2, 7, 6, 5, 4, 3, 2, 1];
const D: C = C::D;

/// The century of a CPR number, from its seventh digit and its year.
pub(crate) fn century(seventh: u32, yy: u32) -> i32 {
    match (seventh, yy) {
        (0..=3, _) => 1900,
        (4 | 9, 0..=36) => 2000,
        (4 | 9, _) => 1900,
        (_, 0..=57) => 2000,
        (_, _) => 1800,
    }
}

pub(super) fn cpr(cc: &'static str, value: &str, today: NaiveDate) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, CPR, value, reason);
    const LENGTHS: &str = "10 digits, DDMMYY-SSSS (the `-` is optional)";
    let hyphenated = value.chars().count() == 11 || value.chars().nth(6) == Some('-');
    let ch = if hyphenated {
        shape(value, &[D, D, D, D, D, D, C::Lit('-'), D, D, D, D], LENGTHS)
    } else {
        shape(value, &digits::<10>(), LENGTHS)
    }
    .map_err(fail)?;
    let d = digit_values(&ch);
    let yy = d[4] * 10 + d[5];
    let year = century(d[6], yy) + yy as i32;
    let born = date(year, d[2] * 10 + d[3], d[0] * 10 + d[1], "").map_err(fail)?;
    not_future(born, today).map_err(fail)?;
    let mut flags = Vec::new();
    if weighted(&d, &CPR_WEIGHTS).is_multiple_of(11) {
        flags.push(Flag::PassesOldModulus11);
    }
    let text: String = d.iter().map(|x| digit_char(*x)).collect();
    Ok(Valid {
        country: cc,
        kind: Kind::Person,
        scheme: "CPR number (personnummer)",
        normalised: format!("{}-{}", &text[..6], &text[6..]),
        birth_date: Some(born),
        flags,
        notes: Vec::new(),
        mask_keep: 7,
    })
}

/// The Faroe Islands: a CPR number (ten digits) or a p-tal (nine).
pub(super) fn faroese_person(
    cc: &'static str,
    value: &str,
    today: NaiveDate,
) -> Result<Valid, Invalid> {
    let count = value.chars().filter(char::is_ascii_digit).count();
    if count != 9 {
        return cpr(cc, value, today);
    }
    let fail = |reason| Invalid::new(cc, "p-tal", value, reason);
    const LENGTHS: &str = "9 digits, DDMMYY-NNN (the `-` is optional)";
    let hyphenated = value.chars().count() == 10 || value.chars().nth(6) == Some('-');
    let ch = if hyphenated {
        shape(value, &[D, D, D, D, D, D, C::Lit('-'), D, D, D], LENGTHS)
    } else {
        shape(value, &digits::<9>(), LENGTHS)
    }
    .map_err(fail)?;
    let d = digit_values(&ch);
    let yy = d[4] * 10 + d[5];
    // The century is not written: the date must exist in one of the two.
    let (day, month) = (d[0] * 10 + d[1], d[2] * 10 + d[3]);
    if date(2000 + yy as i32, month, day, "").is_err() {
        date(1900 + yy as i32, month, day, "").map_err(fail)?;
    }
    let text: String = d.iter().map(|x| digit_char(*x)).collect();
    Ok(Valid {
        country: cc,
        kind: Kind::Person,
        scheme: "P-number (p-tal)",
        normalised: format!("{}-{}", &text[..6], &text[6..]),
        birth_date: None,
        flags: Vec::new(),
        notes: vec!["the p-tal does not say the century of the birth date".into()],
        mask_keep: 7,
    })
}

/// The check digit (last digit) the first seven digits of a CVR number need.
pub(crate) fn cvr_check(first7: &[u32]) -> Option<u32> {
    match (11 - weighted(first7, &CVR_WEIGHTS) % 11) % 11 {
        10 => None,
        c => Some(c),
    }
}

pub(super) fn cvr(cc: &'static str, value: &str) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, CVR, value, reason);
    let d = digit_values(&shape(value, &digits::<8>(), "8 digits").map_err(fail)?);
    let sum = weighted(&d, &CVR_WEIGHTS);
    if !sum.is_multiple_of(11) {
        return Err(fail(match cvr_check(&d[..7]) {
            None => Reason::NoCheckDigit(format!(
                "the weighted sum {sum} is not divisible by 11, and no last digit could make it so: such numbers are never issued"
            )),
            Some(c) => Reason::CheckDigit {
                what: "check digit (modulus 11)",
                found: digit_char(d[7]),
                expected: digit_char(c),
            },
        }));
    }
    Ok(Valid {
        country: cc,
        kind: Kind::Organisation,
        scheme: "CVR number",
        normalised: value.to_string(),
        birth_date: None,
        flags: Vec::new(),
        notes: Vec::new(),
        mask_keep: 8,
    })
}

pub(super) fn faroese_v_number(cc: &'static str, value: &str) -> Result<Valid, Invalid> {
    let fail = |reason| Invalid::new(cc, "V-number (V-tal)", value, reason);
    shape(value, &digits::<6>(), "6 digits").map_err(fail)?;
    Ok(Valid {
        country: cc,
        kind: Kind::Organisation,
        scheme: "V-number (V-tal)",
        normalised: value.to_string(),
        birth_date: None,
        flags: Vec::new(),
        notes: vec!["the V-tal has no check digit: only its form is checked".into()],
        mask_keep: 6,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Kind, Reason, validate_at};
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }
    fn dk(v: &str) -> Result<Valid, Invalid> {
        validate_at("DK", Kind::Person, v, today())
    }

    #[test]
    fn cpr_numbers() {
        // Seventh digit 5 with year 62: the 1800s, by the table.
        let v = dk("211062-5629").unwrap();
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1862, 10, 21));
        assert_eq!(
            dk("211062-0629").unwrap().birth_date,
            NaiveDate::from_ymd_opt(1962, 10, 21)
        );
        assert_eq!(v.flags, vec![Flag::PassesOldModulus11]);
        assert_eq!(dk("2110625629").unwrap().normalised, "211062-5629");
        // Issued since 2007 without the modulus-11 check: still valid.
        let v = dk("010190-1234").unwrap();
        assert!(v.flags.is_empty());
        // The century table.
        let year = |v: &str| {
            dk(v)
                .unwrap()
                .birth_date
                .map(|d| chrono::Datelike::year(&d))
        };
        assert_eq!(year("010137-4000"), Some(1937));
        assert_eq!(year("010120-5000"), Some(2020));
        assert_eq!(year("010158-5000"), Some(1858));
        assert_eq!(year("010120-9000"), Some(2020));
        assert_eq!(year("010199-9000"), Some(1999));
        assert_eq!(year("010105-3000"), Some(1905));
        // 4 with year 36 and 5 with year 57 are 2036 and 2057: in the future.
        assert!(matches!(
            dk("010136-4000").unwrap_err().reason,
            Reason::Date(_)
        ));
        assert!(matches!(
            dk("010157-5000").unwrap_err().reason,
            Reason::Date(_)
        ));
        assert!(matches!(
            dk("300290-1234").unwrap_err().reason,
            Reason::Date(_)
        ));
        assert!(matches!(
            dk("010190_1234").unwrap_err().reason,
            Reason::Character { position: 7, .. }
        ));
        assert!(matches!(
            dk("010190-123").unwrap_err().reason,
            Reason::Length { .. }
        ));
        // Greenland uses the CPR number.
        assert!(validate_at("GL", Kind::Person, "211062-5629", today()).is_ok());
    }

    #[test]
    fn faroese_numbers() {
        let fo = |v: &str| validate_at("FO", Kind::Person, v, today());
        let v = fo("010190-123").unwrap();
        assert_eq!(v.scheme, "P-number (p-tal)");
        assert_eq!(v.masked(), "010190-***");
        assert!(fo("211062-5629").is_ok(), "a CPR number");
        assert!(fo("290200-123").is_ok(), "29 February 2000");
        assert!(matches!(
            fo("290201-123").unwrap_err().reason,
            Reason::Date(_)
        ));
        let v = |s: &str| validate_at("FO", Kind::Organisation, s, today());
        assert!(v("623857").is_ok());
        assert!(v("62385").is_err());
    }

    #[test]
    fn cvr_numbers() {
        let c = |v: &str| validate_at("DK", Kind::Organisation, v, today());
        assert!(c("10150817").is_ok(), "Erhvervsstyrelsen");
        assert!(c("13748136").is_ok(), "Erhvervsstyrelsen's worked example");
        assert!(c("13748137").is_err());
        assert!(c("34051178").is_ok(), "Digitaliseringsstyrelsen");
        assert_eq!(
            c("34051179").unwrap_err().to_string(),
            "DK CVR number 34051179: check digit (modulus 11) is 9, expected 8"
        );
    }

    proptest! {
        /// CPR numbers have had no check digit since 2007: generated numbers
        /// with a real date pass, and nothing more can be promised.
        #[test]
        fn generated_cpr_numbers_pass(y in 1900i32..2025, m in 1u32..=12, d in 1u32..=28, serial in 0u32..1000) {
            let yy = (y % 100) as u32;
            let seventh = if y < 2000 { [0, 1, 2, 3][serial as usize % 4] } else if yy <= 36 { [4, 9][serial as usize % 2] } else { 5 };
            let n = format!("{d:02}{m:02}{yy:02}-{seventh}{serial:03}");
            let v = dk(&n);
            prop_assert!(v.is_ok(), "{n}: {v:?}");
            prop_assert_eq!(v.unwrap().birth_date, NaiveDate::from_ymd_opt(y, m, d));
        }

        /// CVR: all weights are non-zero modulo 11, so every change of one digit is caught.
        #[test]
        fn cvr_changes_are_caught(d in proptest::collection::vec(0u32..10, 7), pos in 0usize..8, to in 0u32..10) {
            let c = |v: &str| validate_at("DK", Kind::Organisation, v, today());
            let Some(check) = cvr_check(&d) else { return Ok(()) };
            let id: String = d.iter().chain([check].iter()).map(|x| digit_char(*x)).collect();
            prop_assert!(c(&id).is_ok(), "{id}");
            let changed = crate::ident::tests::change_digit(&id, pos, to);
            prop_assert!(c(&changed).is_err(), "{id} → {changed} passes");
        }
    }
}
