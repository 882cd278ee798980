//! Reports: the model, the collector that builds it from executor events,
//! and the writers. The JSON report is the source of truth; other formats
//! are rendered from it.

pub mod badge;
pub mod collect;
pub mod compare;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod read;
pub mod sign;
pub mod spool;
pub mod write;
