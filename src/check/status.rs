//! `status: 200`, `status: [200, 204]`, `status: "2xx"`.

use serde_json::{Value, json};

use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exchange::Response;
use crate::yaml::{Node, Value as Y};

#[derive(Debug, Clone, PartialEq)]
enum Expect {
    Exact(u16),
    /// `2xx`: the hundreds digit.
    Class(u16),
}

#[derive(Debug)]
struct StatusCheck(Vec<Expect>);

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let items: Vec<&Node> = match &node.value {
        Y::Seq(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut expects = Vec::new();
    for item in items {
        match &item.value {
            Y::Int(i) if (100..=599).contains(i) => expects.push(Expect::Exact(*i as u16)),
            Y::Str(s)
                if s.len() == 3
                    && s[1..].eq_ignore_ascii_case("xx")
                    && matches!(&s[..1], "1" | "2" | "3" | "4" | "5") =>
            {
                expects.push(Expect::Class(s[..1].parse().unwrap_or(0)))
            }
            _ => diags.push(
                Diagnostic::new(format!(
                    "expected a status (100–599) or a class such as \"2xx\", found {}",
                    item.kind()
                ))
                .at(&item.loc),
            ),
        }
    }
    if expects.is_empty() {
        return None;
    }
    Some(Box::new(StatusCheck(expects)))
}

impl Expect {
    fn matches(&self, status: u16) -> bool {
        match self {
            Expect::Exact(s) => *s == status,
            Expect::Class(c) => status / 100 == *c,
        }
    }
    fn show(&self) -> Value {
        match self {
            Expect::Exact(s) => json!(s),
            Expect::Class(c) => json!(format!("{c}xx")),
        }
    }
}

impl CheckKind for StatusCheck {
    fn name(&self) -> &'static str {
        "status"
    }
    fn evaluate(&self, response: &Response, _: &EvalContext<'_>) -> Outcome {
        let ok = self.0.iter().any(|e| e.matches(response.status));
        let expected: Value = match self.0.as_slice() {
            [one] => one.show(),
            many => Value::Array(many.iter().map(Expect::show).collect()),
        };
        let message = if ok {
            format!("status {}", response.status)
        } else {
            format!(
                "status {}, expected {}",
                response.status,
                super::show(&expected)
            )
        };
        Outcome::judge(ok, message)
            .expected(expected)
            .actual(response.status)
    }
}
