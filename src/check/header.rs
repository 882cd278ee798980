//! `header: { name, present | absent | equals | matches | contains, all }`.
//! Names are case-insensitive; a header may carry several values.

use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exchange::Response;
use crate::template::Template;
use crate::yaml::Node;

/// A test on one header value.
type TextTest = Box<dyn Fn(&str) -> bool>;

#[derive(Debug)]
enum Op {
    Present,
    Absent,
    Equals(Template),
    Matches(regex::Regex),
    Contains(Template),
}

#[derive(Debug)]
struct HeaderCheck {
    name: String,
    op: Op,
    /// Every value must hold, not just one.
    all: bool,
}

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "a header check", diags)?;
    let name = f
        .required("name", node, diags)
        .and_then(|n| crate::decode::string(n, "a header name", diags));
    let mut ops = Vec::new();
    if let Some(n) = f.get("present") {
        match crate::decode::boolean(n, "`present`", diags) {
            Some(true) => ops.push(Op::Present),
            Some(false) => ops.push(Op::Absent),
            None => {}
        }
    }
    if let Some(n) = f.get("absent") {
        match crate::decode::boolean(n, "`absent`", diags) {
            Some(true) => ops.push(Op::Absent),
            Some(false) => ops.push(Op::Present),
            None => {}
        }
    }
    if let Some(n) = f.get("equals") {
        ops.push(Op::Equals(Template::from_node(n, diags)));
    }
    // An operator written but refused (an invalid regex) has its own diagnostic.
    let mut refused = false;
    if let Some(re) = super::regex_operator(f.get("matches"), &mut refused, diags) {
        ops.push(Op::Matches(re));
    }
    if let Some(n) = f.get("contains") {
        ops.push(Op::Contains(Template::from_node(n, diags)));
    }
    let all = f
        .get("all")
        .and_then(|n| crate::decode::boolean(n, "`all`", diags))
        .unwrap_or(false);
    f.finish(diags);
    let name = name?;
    if ops.is_empty() && refused {
        return None;
    }
    if ops.len() != 1 {
        diags.push(
            Diagnostic::new(format!("a header check takes exactly one of present, absent, equals, matches, contains; found {}", ops.len()))
                .at(&node.loc),
        );
        return None;
    }
    Some(Box::new(HeaderCheck {
        name,
        op: ops.pop()?,
        all,
    }))
}

impl CheckKind for HeaderCheck {
    fn name(&self) -> &'static str {
        "header"
    }

    fn templates(&self) -> Vec<&Template> {
        match &self.op {
            Op::Equals(t) | Op::Contains(t) => vec![t],
            _ => Vec::new(),
        }
    }

    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        let values: Vec<&str> = response.header_values(&self.name).collect();
        let actual =
            serde_json::Value::from(values.iter().map(|v| v.to_string()).collect::<Vec<_>>());
        let name = &self.name;
        let outcome = match &self.op {
            Op::Present => Outcome::judge(
                !values.is_empty(),
                format!(
                    "header `{name}` {}",
                    if values.is_empty() {
                        "is missing"
                    } else {
                        "is present"
                    }
                ),
            ),
            Op::Absent => Outcome::judge(
                values.is_empty(),
                format!(
                    "header `{name}` {}",
                    if values.is_empty() {
                        "is absent"
                    } else {
                        "is present, expected absent"
                    }
                ),
            ),
            op => {
                if values.is_empty() {
                    return Outcome::fail(format!("header `{name}` is missing"))
                        .at(name.clone())
                        .actual(actual);
                }
                let (test, expected): (TextTest, serde_json::Value) = match op {
                    Op::Equals(t) => match super::expected(t, cx) {
                        Ok(serde_json::Value::String(s)) => {
                            let e = s.clone();
                            (Box::new(move |v: &str| v == e), s.into())
                        }
                        Ok(other) => {
                            let e = other.to_string();
                            (Box::new(move |v: &str| v == e), other)
                        }
                        Err(o) => return o,
                    },
                    Op::Contains(t) => match super::expected(t, cx) {
                        Ok(v) => {
                            let e = match &v {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (Box::new(move |x: &str| x.contains(&e)), v)
                        }
                        Err(o) => return o,
                    },
                    Op::Matches(re) => {
                        let re = re.clone();
                        let shown = serde_json::Value::from(format!("/{}/", re.as_str()));
                        (Box::new(move |v: &str| re.is_match(v)), shown)
                    }
                    Op::Present | Op::Absent => unreachable!("handled above"),
                };
                let ok = if self.all {
                    values.iter().all(|v| test(v))
                } else {
                    values.iter().any(|v| test(v))
                };
                let verb = match op {
                    Op::Equals(_) => "equals",
                    Op::Contains(_) => "contains",
                    _ => "matches",
                };
                let message = if ok {
                    format!("header `{name}` {verb} {}", super::show(&expected))
                } else {
                    format!(
                        "header `{name}` is {}, expected it {verb} {}",
                        super::show(&actual),
                        super::show(&expected)
                    )
                };
                Outcome::judge(ok, message).expected(expected)
            }
        };
        outcome.actual(actual).at(name.clone())
    }
}
