//! Alexa's custom-skill contract, field for field as in `ask-sdk-model`: the
//! request and response envelopes and cards (`envelope`), and the interaction
//! model of a skill package with the utterance matcher the simulator uses
//! (`interaction_model`).

pub mod envelope;
pub mod interaction_model;
pub mod region;

pub use region::Region;
