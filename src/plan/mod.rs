//! The best mix: forecast, crossover and the optimiser (SPEC §4).
