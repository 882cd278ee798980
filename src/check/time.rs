//! `time: { max_ms: N }`: the whole response arrived within N milliseconds.

use super::{CheckKind, DecodeContext, EvalContext, Outcome};
use crate::diag::Diagnostics;
use crate::exchange::Response;
use crate::yaml::Node;

#[derive(Debug)]
struct TimeCheck {
    max_ms: u64,
}

pub fn decode(
    node: &Node,
    _: &DecodeContext<'_>,
    diags: &mut Diagnostics,
) -> Option<Box<dyn CheckKind>> {
    let mut f = super::fields(node, "a time check", diags)?;
    let max_ms = f
        .required("max_ms", node, diags)
        .and_then(|n| crate::decode::unsigned(n, "`max_ms`", diags));
    f.finish(diags);
    Some(Box::new(TimeCheck { max_ms: max_ms? }))
}

impl CheckKind for TimeCheck {
    fn name(&self) -> &'static str {
        "time"
    }
    fn evaluate(&self, response: &Response, _: &EvalContext<'_>) -> Outcome {
        let ms = response.elapsed.as_millis() as u64;
        Outcome::judge(
            ms <= self.max_ms,
            format!("answered in {ms} ms, limit {} ms", self.max_ms),
        )
        .expected(format!("≤ {} ms", self.max_ms))
        .actual(format!("{ms} ms"))
    }
}
