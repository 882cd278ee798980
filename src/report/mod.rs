//! Reports: the model, the collector that builds it from executor events,
//! and the writers. The JSON report is the source of truth; other formats
//! are rendered from it.

pub mod collect;
pub mod merge;
pub mod model;
pub mod write;
