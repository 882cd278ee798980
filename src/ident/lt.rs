//! Lithuania: the personal code (asmens kodas).
//!
//! Sources:
//! - Lietuvos standartas LST 1185 "Asmens kodas. Sudėtis ir struktūra"
//!   (approved 20 December 1991) and the Population Register Act (Lietuvos
//!   Respublikos gyventojų registro įstatymas, 1992): eleven digits GYYMMDDSSSC,
//!   G the century and sex (1/2: 1800s, 3/4: 1900s, 5/6: 2000s), the serial
//!   number of those born that day, and a check digit computed exactly as the
//!   Estonian one (weights 1 2 3 4 5 6 7 8 9 1 modulo 11; on 10, weights
//!   3 4 5 6 7 8 9 1 2 3; on 10 again, 0): see `ee.rs`.
//! - Exceptions, as Lithuanian implementations apply them (not confirmed
//!   against the text of LST 1185): 00 for a month or day of birth that is
//!   not known, and a first digit 9 for codes that carry no birth date. Both
//!   are accepted, with the check digit still enforced, and noted.
//! - Test identities: 33309240064 (an example that needs the second stage),
//!   the Smart-ID demo identity 30303039914.

use chrono::NaiveDate;

use super::ee::{Rules, personal_code};
use super::{Invalid, Valid};

const LT: Rules = Rules {
    scheme: "personal code (asmens kodas)",
    short: "personal code",
    max_first: 6,
    centuries: "1–6 (1/2: 1800s, 3/4: 1900s, 5/6: 2000s)",
    exceptions: true,
};

pub(super) fn person(cc: &'static str, value: &str, today: NaiveDate) -> Result<Valid, Invalid> {
    personal_code(cc, value, today, &LT)
}

#[cfg(test)]
mod tests {
    use super::super::ee::tests::{code, first_stage, isikukood};
    use super::super::{Kind, Reason, validate_at};
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
    }
    fn lt(v: &str) -> Result<Valid, Invalid> {
        validate_at("LT", Kind::Person, v, today())
    }

    #[test]
    fn published_codes() {
        assert_eq!(
            lt("33309240064").unwrap().birth_date,
            NaiveDate::from_ymd_opt(1933, 9, 24)
        );
        assert!(lt("30303039914").is_ok(), "Smart-ID demo");
        assert_eq!(
            lt("33309240065").unwrap_err().to_string(),
            "LT personal code 33309240065: check digit is 5, expected 4"
        );
        // 7 and 8 are Estonian only.
        assert!(matches!(
            lt(&code(7, 1, 1, 1, 0)).unwrap_err().reason,
            Reason::Century(_)
        ));
    }

    #[test]
    fn exceptions() {
        let v = lt(&code(3, 40, 0, 0, 12)).unwrap();
        assert_eq!(v.birth_date, None);
        assert_eq!(v.notes.len(), 1);
        let v = lt(&code(9, 12, 34, 56, 789)).unwrap();
        assert_eq!(v.birth_date, None);
        assert!(matches!(
            lt(&code(3, 40, 13, 0, 12)).unwrap_err().reason,
            Reason::Date(_)
        ));
    }

    proptest! {
        #[test]
        fn generated_codes_pass(c in isikukood(6)) {
            prop_assert!(lt(&c).is_ok(), "{c}: {:?}", lt(&c));
        }

        /// As in Estonia: caught within a stage of the check-digit scheme.
        #[test]
        fn single_changes_are_caught_within_a_stage(c in isikukood(6), pos in 0usize..11, to in 0u32..10) {
            let changed = crate::ident::tests::change_digit(&c, pos, to);
            if lt(&changed).is_ok() {
                prop_assert!(pos != 10, "{c} → {changed}");
                prop_assert_ne!(first_stage(&c), first_stage(&changed), "{} → {}", c, changed);
            }
        }
    }
}
