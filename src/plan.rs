//! Selection: which countries, suites and cases run, which apply, and the
//! repetitions of `for_each` cases. Also where profile variables are checked
//! against each country a suite applies to.

use std::sync::Arc;

use serde_json::Value;

use crate::diag::{Diagnostic, Diagnostics};
use crate::profile::EffectiveProfile;
use crate::project::Project;

/// What the user asked for.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    /// ISO codes; empty means every country.
    pub countries: Vec<String>,
    /// Suite IDs or globs.
    pub suites: Vec<String>,
    /// `suite/case` or globs.
    pub cases: Vec<String>,
    pub tags: Vec<String>,
    pub environment: Option<String>,
    pub sets: Vec<(String, Value)>,
    /// Run only this shard of the plan.
    pub shard: Option<Shard>,
}

/// `--shard k/n`: 1-based; every case (with all its `for_each` repetitions)
/// lands in exactly one shard, by a hash of `country/suite/case` that is the
/// same on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {s}: write k/n with 1 ≤ k ≤ n, such as 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// Whether the case `key` belongs to this shard (FNV-1a: stable across machines and releases).
    pub fn contains(&self, key: &str) -> bool {
        let mut h: u64 = 0xcbf29ce484222325;
        for b in key.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x100000001b3);
        }
        (h % u64::from(self.count)) as u32 == self.index - 1
    }
}

impl Selection {
    /// Whether the selection leaves any case out.
    pub fn is_partial(&self) -> bool {
        !self.suites.is_empty()
            || !self.cases.is_empty()
            || !self.tags.is_empty()
            || self.shard.is_some()
    }
}

/// One case to run (or to report as not applicable) for one country.
#[derive(Debug, Clone)]
pub struct CaseRun {
    pub suite: usize,
    pub case: usize,
    /// `id` or `id[item]`.
    pub id: String,
    pub item: Option<Value>,
    pub not_applicable: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SuiteRun {
    pub suite: usize,
    pub not_applicable: Option<String>,
    pub cases: Vec<CaseRun>,
}

#[derive(Debug, Clone)]
pub struct CountryRun {
    pub profile: Arc<EffectiveProfile>,
    pub suites: Vec<SuiteRun>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub countries: Vec<CountryRun>,
}

impl Plan {
    pub fn case_count(&self) -> usize {
        self.countries
            .iter()
            .flat_map(|c| &c.suites)
            .map(|s| s.cases.len())
            .sum()
    }
}

/// `*` and `?` wildcards.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

pub fn build(project: &Project, sel: &Selection) -> Result<Plan, Diagnostics> {
    let mut diags = Diagnostics::default();
    let codes: Vec<String> = if sel.countries.is_empty() {
        project.profiles.keys().cloned().collect()
    } else {
        sel.countries
            .iter()
            .map(|c| c.to_ascii_uppercase())
            .collect()
    };
    for pattern in &sel.suites {
        if !project.suites.iter().any(|s| glob(pattern, &s.id)) {
            diags.push(Diagnostic::new(format!(
                "--suite {pattern} matches no suite"
            )));
        }
    }
    for pattern in &sel.cases {
        if !project.suites.iter().any(|s| {
            s.cases
                .iter()
                .any(|c| glob(pattern, &format!("{}/{}", s.id, c.id)))
        }) {
            diags.push(Diagnostic::new(format!(
                "--case {pattern} matches no case (write suite/case)"
            )));
        }
    }
    let mut countries = Vec::new();
    for code in codes {
        let Some(profile) = project.profiles.get(&code) else {
            let known: Vec<&str> = project.profiles.keys().map(String::as_str).collect();
            diags.push(Diagnostic::new(format!(
                "--country {code}: no profile countries/{}.yaml (known: {})",
                code.to_ascii_lowercase(),
                known.join(", ")
            )));
            continue;
        };
        let effective = match profile.effective(sel.environment.as_deref(), &sel.sets) {
            Ok(e) => Arc::new(e),
            Err(e) => {
                diags.push(Diagnostic::new(e));
                continue;
            }
        };
        let mut suites = Vec::new();
        for (si, suite) in project.suites.iter().enumerate() {
            if !sel.suites.is_empty() && !sel.suites.iter().any(|p| glob(p, &suite.id)) {
                continue;
            }
            let missing = effective.missing_capabilities(&suite.applies_to);
            let suite_na = (!missing.is_empty())
                .then(|| format!("{} does not declare {}", code, missing.join(", ")));
            if suite_na.is_none() {
                check_vars(suite, &effective, &mut diags);
                check_secret_hosts(suite, &effective, &mut diags);
            }
            let mut cases = Vec::new();
            for (ci, case) in suite.cases.iter().enumerate() {
                let key = format!("{}/{}", suite.id, case.id);
                if !sel.cases.is_empty() && !sel.cases.iter().any(|p| glob(p, &key)) {
                    continue;
                }
                if !sel.tags.is_empty() && !case.tags.iter().any(|t| sel.tags.contains(t)) {
                    continue;
                }
                if let Some(shard) = &sel.shard
                    && !shard.contains(&format!("{code}/{key}"))
                {
                    continue;
                }
                let case_missing = effective.missing_capabilities(&case.needs);
                let na = suite_na.clone().or_else(|| {
                    (!case_missing.is_empty())
                        .then(|| format!("{} does not declare {}", code, case_missing.join(", ")))
                });
                match (&case.for_each, &na) {
                    (Some((path, loc)), None) => match effective.lookup(&path[1..]) {
                        Some(Value::Array(items)) if !items.is_empty() => {
                            for item in items {
                                let label = match item {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                };
                                cases.push(CaseRun {
                                    suite: si,
                                    case: ci,
                                    id: format!("{}[{label}]", case.id),
                                    item: Some(item.clone()),
                                    not_applicable: None,
                                });
                            }
                        }
                        Some(Value::Array(_)) => cases.push(CaseRun {
                            suite: si,
                            case: ci,
                            id: case.id.clone(),
                            item: None,
                            not_applicable: Some(format!(
                                "`{}` is empty for {code}",
                                path.join(".")
                            )),
                        }),
                        _ => diags.push(
                            Diagnostic::new(format!(
                                "`for_each: {}` is not a list in the profile of {code}",
                                path.join(".")
                            ))
                            .at(loc),
                        ),
                    },
                    _ => cases.push(CaseRun {
                        suite: si,
                        case: ci,
                        id: case.id.clone(),
                        item: None,
                        not_applicable: na,
                    }),
                }
            }
            // A suite stays in the plan when a case filter leaves none of its cases,
            // unless the filter was by case or tag (then the suite was not asked for).
            if !cases.is_empty() || sel.cases.is_empty() && sel.tags.is_empty() {
                suites.push(SuiteRun {
                    suite: si,
                    not_applicable: suite_na,
                    cases,
                });
            }
        }
        countries.push(CountryRun {
            profile: effective,
            suites,
        });
    }
    if diags.is_empty() {
        Ok(Plan { countries })
    } else {
        Err(diags)
    }
}

/// A step that would carry one of the profile's secrets to a host outside
/// the profile is refused before anything is sent. Decided here wherever the
/// URL depends on the profile alone; a URL built from captures is checked
/// again just before sending.
pub fn check_secret_hosts(
    suite: &crate::suite::Suite,
    profile: &EffectiveProfile,
    diags: &mut Diagnostics,
) {
    use crate::template::{Found, Vars};
    struct ProfileOnly<'a>(&'a EffectiveProfile, Option<&'a Value>);
    impl Vars for ProfileOnly<'_> {
        fn lookup(&self, path: &[String]) -> Result<Option<Found>, String> {
            match path[0].as_str() {
                "profile" => Ok(self.0.lookup(&path[1..]).map(|v| Found {
                    value: v.clone(),
                    secret: false,
                })),
                "item" => Ok(self.1.map(|v| Found {
                    value: v.clone(),
                    secret: false,
                })),
                _ => Err("depends on a capture".into()),
            }
        }
    }
    for case in &suite.cases {
        let items: Vec<Option<&Value>> = match &case.for_each {
            Some((path, _)) => match profile.lookup(&path[1..]) {
                Some(Value::Array(a)) => a.iter().map(Some).collect(),
                _ => vec![None],
            },
            None => vec![None],
        };
        for step in &case.steps {
            let secrets: Vec<String> = step
                .templates()
                .iter()
                .flat_map(|t| t.exprs())
                .filter(|e| e.namespace() == "profile")
                .filter_map(|e| match profile.lookup(&e.path[1..]) {
                    Some(Value::String(s)) if crate::profile::is_secret_ref(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            if secrets.is_empty() {
                continue;
            }
            for item in &items {
                let Ok(url) = step.request.url.render(&ProfileOnly(profile, *item)) else {
                    continue;
                };
                let Some(host) = url
                    .value
                    .as_str()
                    .and_then(|u| url::Url::parse(u).ok())
                    .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
                else {
                    continue;
                };
                if !profile.hosts.contains(&host) {
                    diags.push(
                        Diagnostic::new(format!(
                            "case `{}` would send the secret `{}` to {host}, which is not a host of the {} profile; refused before anything is sent",
                            case.id, secrets[0], profile.code
                        ))
                        .at(&step.request.loc)
                        .with_help(format!("secrets go only to the hosts of their own profile: {}", profile.hosts.join(", "))),
                    );
                    break;
                }
            }
        }
    }
}

/// Every `profile.` variable a suite uses must exist in a profile it applies to.
pub fn check_vars(
    suite: &crate::suite::Suite,
    profile: &EffectiveProfile,
    diags: &mut Diagnostics,
) {
    let mut seen = std::collections::BTreeSet::new();
    for (expr, loc, case) in crate::suite::lint::profile_vars(suite) {
        if profile.lookup(&expr.path[1..]).is_none() && seen.insert(expr.path.join(".")) {
            diags.push(
                Diagnostic::new(format!(
                    "`{}` (case `{case}`) is not defined in the profile of {} ({})",
                    expr.path.join("."),
                    profile.code,
                    profile.file
                ))
                .at(loc)
                .with_help(format!(
                    "add it to {}, or give the template a default: `{{{{ {} | default('…') }}}}`",
                    profile.file,
                    expr.path.join(".")
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn shards_partition_every_key_exactly_once() {
        let keys: Vec<String> = (0..500)
            .map(|i| format!("FI/suite-{}/case-{i}", i % 7))
            .collect();
        for n in 1..=5u32 {
            let shards: Vec<super::Shard> = (1..=n)
                .map(|k| super::Shard { index: k, count: n })
                .collect();
            for key in &keys {
                assert_eq!(
                    shards.iter().filter(|s| s.contains(key)).count(),
                    1,
                    "{key} in {n} shards"
                );
            }
        }
        assert!("0/3".parse::<super::Shard>().is_err());
        assert!("4/3".parse::<super::Shard>().is_err());
        assert_eq!("2/3".parse::<super::Shard>().unwrap().to_string(), "2/3");
    }

    #[test]
    fn globs() {
        assert!(super::glob("oidc-*", "oidc-discovery"));
        assert!(super::glob(
            "*/discovery-?ocument",
            "oidc/discovery-document"
        ));
        assert!(!super::glob("jwks", "jwks-set"));
    }
}
