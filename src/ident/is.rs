//! Iceland: the kennitala of persons and of organisations.
//!
//! Sources:
//! - Þjóðskrá Íslands, "Um kennitölur",
//!   <https://skra.is/folk/eg-i-thjodskra/um-kennitolur>: DDMMYY, two
//!   digits allotted in order, a check digit ("vartala") — the first eight
//!   digits times 3 2 7 6 5 4 3 2, summed, 11 − (sum mod 11); 11 gives 0, 10
//!   is unusable (the next serial is taken instead) — and a last digit for
//!   the century: 8 for the 1800s, 9 for the 1900s, 0 for the 2000s.
//!   Þjóðskrá's worked example is 120160-3389.
//! - The kennitala of an organisation adds 4 to the first digit of its
//!   registration date (day + 40); the same check digit applies.
//! - System numbers (kerfiskennitölur) and temporary numbers are not covered.
//! - Test identities: 120174-3399 (a person), 540269-7509 (an organisation).
//!
//! The check digit covers the first eight digits: every change of one of the
//! first nine digits is caught; a change of the century digit is caught only
//! when it leaves no century or a birth date in the future.

use chrono::NaiveDate;

use super::{
    C, Invalid, Kind, Reason, Valid, date, digit_char, digit_values, digits, not_future, shape,
};

const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
const D: C = C::D;

/// The check digit of the first eight digits, `None` when unusable (10).
pub(crate) fn check(d: &[u32]) -> Option<u32> {
    match 11 - super::weighted(d, &WEIGHTS) % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c),
    }
}

pub(super) fn kennitala(
    cc: &'static str,
    kind: Kind,
    value: &str,
    today: NaiveDate,
) -> Result<Valid, Invalid> {
    let short = match kind {
        Kind::Person => "kennitala",
        Kind::Organisation => "kennitala of an organisation",
    };
    let fail = |reason| Invalid::new(cc, short, value, reason);
    const LENGTHS: &str = "10 digits, DDMMYY-RRCV (the `-` is optional)";
    let hyphenated = value.chars().count() == 11 || value.chars().nth(6) == Some('-');
    let ch = if hyphenated {
        shape(value, &[D, D, D, D, D, D, C::Lit('-'), D, D, D, D], LENGTHS)
    } else {
        shape(value, &digits::<10>(), LENGTHS)
    }
    .map_err(fail)?;
    let d = digit_values(&ch);
    let raw_day = d[0] * 10 + d[1];
    let day = match kind {
        Kind::Person if (41..=71).contains(&raw_day) => {
            return Err(fail(Reason::Component(format!(
                "the day {raw_day} (41–71) marks an organisation's kennitala, not a person's"
            ))));
        }
        Kind::Organisation if raw_day <= 31 => {
            return Err(fail(Reason::Component(format!(
                "the day {raw_day:02} (01–31) marks a person's kennitala; an organisation's day is 41–71"
            ))));
        }
        Kind::Organisation => raw_day - 40,
        Kind::Person => raw_day,
    };
    let century = match d[9] {
        8 => 1800,
        9 => 1900,
        0 => 2000,
        c => {
            return Err(fail(Reason::Century(format!(
                "the last digit {c} is not a century digit: expected 8 (1800s), 9 (1900s) or 0 (2000s)"
            ))));
        }
    };
    let how = if kind == Kind::Organisation {
        "organisation: day − 40"
    } else {
        ""
    };
    let yy = d[4] * 10 + d[5];
    let born = date(century + yy as i32, d[2] * 10 + d[3], day, how).map_err(fail)?;
    not_future(born, today).map_err(fail)?;
    match check(&d[..8]) {
        None => {
            return Err(fail(Reason::NoCheckDigit(
                "the first eight digits give 11 − (sum mod 11) = 10, which Þjóðskrá never uses as a check digit".into(),
            )));
        }
        Some(c) if c != d[8] => {
            return Err(fail(Reason::CheckDigit {
                what: "check digit (the ninth)",
                found: digit_char(d[8]),
                expected: digit_char(c),
            }));
        }
        Some(_) => {}
    }
    let text: String = d.iter().map(|x| digit_char(*x)).collect();
    Ok(Valid {
        country: cc,
        kind,
        scheme: match kind {
            Kind::Person => "kennitala",
            Kind::Organisation => "kennitala (organisation)",
        },
        normalised: format!("{}-{}", &text[..6], &text[6..]),
        birth_date: (kind == Kind::Person).then_some(born),
        flags: Vec::new(),
        notes: Vec::new(),
        mask_keep: 7,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{Reason, validate_at};
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }
    fn person(v: &str) -> Result<Valid, Invalid> {
        validate_at("IS", Kind::Person, v, today())
    }
    fn org(v: &str) -> Result<Valid, Invalid> {
        validate_at("IS", Kind::Organisation, v, today())
    }

    #[test]
    fn published_numbers() {
        let v = person("1201743399").unwrap();
        assert_eq!(v.normalised, "120174-3399");
        assert_eq!(v.birth_date, NaiveDate::from_ymd_opt(1974, 1, 12));
        assert!(person("120160-3389").is_ok(), "Þjóðskrá's example");
        assert!(org("5402697509").is_ok());
        assert!(org("540269-7509").is_ok());
    }

    #[test]
    fn reasons() {
        assert_eq!(
            person("1201743389").unwrap_err().reason,
            Reason::CheckDigit {
                what: "check digit (the ninth)",
                found: '8',
                expected: '9'
            }
        );
        assert!(matches!(
            person("5402697509").unwrap_err().reason,
            Reason::Component(_)
        ));
        assert!(matches!(
            org("1201743399").unwrap_err().reason,
            Reason::Component(_)
        ));
        assert!(matches!(
            person("1201743395").unwrap_err().reason,
            Reason::Century(_)
        ));
        assert!(matches!(
            person("3002743399").unwrap_err().reason,
            Reason::Date(_)
        ));
    }

    pub(crate) fn kt(offset: u32) -> impl Strategy<Value = String> {
        (1900i32..2025, 1u32..=12, 1u32..=31, 20u32..100).prop_filter_map(
            "a valid number",
            move |(y, m, d, serial)| {
                NaiveDate::from_ymd_opt(y, m, d)?;
                let eight = format!("{:02}{m:02}{:02}{serial:02}", d + offset, y % 100);
                let digits: Vec<u32> = eight.chars().filter_map(|c| c.to_digit(10)).collect();
                let c = check(&digits)?;
                Some(format!(
                    "{}-{}{c}{}",
                    &eight[..6],
                    &eight[6..],
                    (y / 100) % 10
                ))
            },
        )
    }

    proptest! {
        #[test]
        fn generated_numbers_pass(p in kt(0), o in kt(40)) {
            prop_assert!(person(&p).is_ok(), "{p}: {:?}", person(&p));
            prop_assert!(org(&o).is_ok(), "{o}: {:?}", org(&o));
        }

        /// Every change of one of the nine digits the check digit covers
        /// (itself included) is caught.
        #[test]
        fn single_changes_are_caught(p in kt(0), pos in 0usize..9, to in 0u32..10) {
            let pos = if pos >= 6 { pos + 1 } else { pos };
            let changed = crate::ident::tests::change_digit(&p, pos, to);
            prop_assert!(person(&changed).is_err(), "{p} → {changed} passes");
        }
    }
}
