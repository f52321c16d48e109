//! Wire formats that more than one role speaks. Serde types only: no HTTP, no
//! state, no role. Today that is Alexa's custom-skill JSON, spoken by the
//! bundled skill (which answers it) and the simulator (which sends it).

pub mod alexa;
