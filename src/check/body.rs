//! `body: { contains | not_contains | matches }` on the body text.

use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::{Diagnostic, Diagnostics};
use crate::exchange::Response;
use crate::template::Template;
use crate::yaml::Node;

#[derive(Debug)]
enum Op {
    Contains(Template),
    NotContains(Template),
    Matches(regex::Regex),
}

#[derive(Debug)]
struct BodyCheck(Op);

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "a body check", diags)?;
    let mut ops = Vec::new();
    if let Some(n) = f.get("contains") {
        ops.push(Op::Contains(Template::from_node(n, diags)));
    }
    if let Some(n) = f.get("not_contains") {
        ops.push(Op::NotContains(Template::from_node(n, diags)));
    }
    // An operator written but refused (an invalid regex) has its own diagnostic.
    let mut refused = false;
    if let Some(re) = super::regex_operator(f.get("matches"), &mut refused, diags) {
        ops.push(Op::Matches(re));
    }
    f.finish(diags);
    if refused && ops.is_empty() {
        return None;
    }
    if ops.len() != 1 {
        diags.push(
            Diagnostic::new("a body check takes exactly one of contains, not_contains, matches")
                .at(&node.loc),
        );
        return None;
    }
    Some(Box::new(BodyCheck(ops.pop()?)))
}

impl CheckKind for BodyCheck {
    fn name(&self) -> &'static str {
        "body"
    }
    fn templates(&self) -> Vec<&Template> {
        match &self.0 {
            Op::Contains(t) | Op::NotContains(t) => vec![t],
            Op::Matches(_) => Vec::new(),
        }
    }
    fn evaluate(&self, response: &Response, cx: &EvalContext<'_>) -> Outcome {
        let text = response.text();
        let needle = |t: &Template| {
            super::expected(t, cx).map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            })
        };
        match &self.0 {
            Op::Contains(t) | Op::NotContains(t) => match needle(t) {
                Ok(n) => {
                    let found = text.contains(&n);
                    let wanted = matches!(self.0, Op::Contains(_));
                    let verb = if found {
                        "contains"
                    } else {
                        "does not contain"
                    };
                    Outcome::judge(
                        found == wanted,
                        format!("the body {verb} {}", super::show(&n.clone().into())),
                    )
                    .expected(n)
                }
                Err(o) => o,
            },
            Op::Matches(re) => {
                let ok = re.is_match(&text);
                Outcome::judge(
                    ok,
                    format!(
                        "the body {} /{}/",
                        if ok { "matches" } else { "does not match" },
                        re.as_str()
                    ),
                )
                .expected(format!("/{}/", re.as_str()))
            }
        }
    }
}
