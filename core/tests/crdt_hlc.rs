//! Properties of CRDT timestamps and the hybrid logical clock: the 24-hex encoding sorts like the
//! timestamps themselves (the Lua scripts compare encodings as strings) and round-trips.

use dynomite_core::crdt::timestamp::{Timestamp, PHYSICAL_MAX_MS};
use proptest::prelude::*;

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // Mix small ranges (to get ties on the leading fields) with the full ranges.
    let physical = prop_oneof![0u64..4, 0u64..=PHYSICAL_MAX_MS];
    let logical = prop_oneof![0u16..4, any::<u16>()];
    let node = prop_oneof![0u32..4, any::<u32>()];
    (physical, logical, node).prop_map(|(physical, logical, node)| Timestamp::new(physical, logical, node))
}

proptest! {
    #[test]
    fn encoding_order_is_timestamp_order(a in timestamp(), b in timestamp()) {
        prop_assert_eq!(a.encode().cmp(&b.encode()), a.cmp(&b));
    }

    #[test]
    fn encoding_round_trips(a in timestamp()) {
        prop_assert_eq!(Timestamp::parse(&a.encode()), Ok(a));
        prop_assert_eq!(Timestamp::parse(&a.to_bytes()), Ok(a));
    }

    #[test]
    fn missing_sorts_first(a in timestamp()) {
        // The empty string (a missing field) is older than every encoding, like None < Some.
        prop_assert!(b"".as_slice() < a.encode().as_slice());
        prop_assert!(None < Some(a));
    }
}

mod hlc {
    use dynomite_core::crdt::hlc::Hlc;
    use dynomite_core::crdt::timestamp::Timestamp;
    use proptest::prelude::*;

    /// Node id of the clock under test.
    const NODE: u32 = 7;

    /// One input to the clock.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// `now(wall)` must return the expected `(physical, logical)`.
        Now { wall: u64, expect: (u64, u16), why: &'static str },
        /// `observe(ts, wall)`.
        Observe { physical: u64, logical: u16, node: u32, wall: u64 },
    }
    use Step::{Now, Observe};

    fn ts(physical_ms: u64, logical: u16) -> Timestamp {
        Timestamp::new(physical_ms, logical, NODE)
    }

    /// Golden runs: each a sequence of steps from a fresh clock.
    #[test]
    fn golden_runs() {
        let runs: &[&[Step]] = &[
            &[
                Now { wall: 100, expect: (100, 0), why: "fresh clock follows the wall clock" },
                Now { wall: 100, expect: (100, 1), why: "same millisecond: logical counts" },
                Now { wall: 100, expect: (100, 2), why: "and keeps counting" },
                Now { wall: 101, expect: (101, 0), why: "wall clock moved on: logical resets" },
            ],
            &[
                Now { wall: 100, expect: (100, 0), why: "start" },
                Now {
                    wall: 90,
                    expect: (100, 1),
                    why: "wall clock stepped back: the clock keeps its physical part",
                },
                Now { wall: 100, expect: (100, 2), why: "wall caught up but not past: still counting" },
            ],
            &[
                Observe { physical: 500, logical: 3, node: 9, wall: 100 },
                Now {
                    wall: 100,
                    expect: (500, 4),
                    why: "a timestamp observed from a node ahead: issue just after it",
                },
                Now { wall: 600, expect: (600, 0), why: "own wall clock passes it" },
            ],
            &[
                Now { wall: 100, expect: (100, 0), why: "start" },
                Observe { physical: 50, logical: 9, node: 9, wall: 100 },
                Now { wall: 100, expect: (100, 1), why: "an older observed timestamp changes nothing" },
            ],
            &[
                Observe { physical: 100, logical: 5, node: 0, wall: 100 },
                Now {
                    wall: 100,
                    expect: (100, 6),
                    why: "greater than the observed one even though node 7 > node 0 would already win a tie",
                },
            ],
            &[
                Observe { physical: 100, logical: u16::MAX - 1, node: 9, wall: 100 },
                Now { wall: 100, expect: (100, u16::MAX), why: "last logical value" },
                Now { wall: 100, expect: (101, 0), why: "logical overflow borrows a millisecond" },
                Now { wall: 100, expect: (101, 1), why: "and counts on from there" },
                Now {
                    wall: 101,
                    expect: (101, 2),
                    why: "the wall clock reaching the borrowed ms does not reset",
                },
            ],
        ];
        for (run_index, run) in runs.iter().enumerate() {
            let mut clock = Hlc::new(NODE);
            for step in run.iter() {
                match *step {
                    Now { wall, expect, why } => {
                        assert_eq!(clock.now(wall), ts(expect.0, expect.1), "run {run_index}: {why}");
                    }
                    Observe { physical, logical, node, wall } => {
                        clock.observe(Timestamp::new(physical, logical, node), wall)
                    }
                }
            }
        }
    }

    /// A clock input drawn by the property tests.
    #[derive(Debug, Clone)]
    enum Input {
        Now(u64),
        Observe(Timestamp, u64),
    }

    fn inputs() -> impl Strategy<Value = Vec<Input>> {
        let wall = 1_000u64..1_020;
        let input = prop_oneof![
            3 => wall.clone().prop_map(Input::Now),
            1 => (900u64..1_100, any::<u16>(), any::<u32>(), wall)
                .prop_map(|(physical, logical, node, wall)| Input::Observe(Timestamp::new(physical, logical, node), wall)),
        ];
        proptest::collection::vec(input, 1..200)
    }

    proptest! {
        /// Guarantees 1-3 of the module doc under arbitrary walls and observations.
        #[test]
        fn increasing_after_observed_and_at_least_wall(inputs in inputs()) {
            let mut clock = Hlc::new(NODE);
            let mut last_issued: Option<Timestamp> = None;
            let mut max_observed: Option<Timestamp> = None;
            for input in inputs {
                match input {
                    Input::Now(wall) => {
                        let issued = clock.now(wall);
                        prop_assert_eq!(issued.node, NODE);
                        prop_assert!(issued.physical_ms >= wall);
                        prop_assert!(Some(issued) > last_issued, "strictly increasing");
                        if let Some(observed) = max_observed {
                            prop_assert!((issued.physical_ms, issued.logical) > (observed.physical_ms, observed.logical));
                            prop_assert!(issued > observed);
                        }
                        last_issued = Some(issued);
                    }
                    Input::Observe(observed, wall) => {
                        clock.observe(observed, wall);
                        max_observed = max_observed.max(Some(observed));
                    }
                }
            }
        }

        /// Guarantee 4: two nodes whose clocks differ by at most `skew`, each stamping writes as real time
        /// advances and observing each other's timestamps now and then: a write more than `skew` after
        /// another (real time) has the larger timestamp.
        #[test]
        fn bounded_skew_orders_writes(
            skew in 0u64..50,
            offset_fraction in 0.0f64..=1.0,
            events in proptest::collection::vec((0u64..30, any::<bool>(), any::<bool>()), 1..100),
        ) {
            let offset = (skew as f64 * offset_fraction) as u64; // node b's clock is ahead by offset <= skew
            let mut a = Hlc::new(1);
            let mut b = Hlc::new(2);
            let mut real = 1_000u64;
            let mut writes: Vec<(u64, Timestamp)> = Vec::new();
            for (advance, on_b, gossip) in events {
                real += advance;
                let issued = if on_b { b.now(real + offset) } else { a.now(real) };
                if gossip {
                    a.observe(issued, real);
                    b.observe(issued, real + offset);
                }
                writes.push((real, issued));
            }
            for (earlier_real, earlier) in &writes {
                for (later_real, later) in &writes {
                    if *later_real > earlier_real + skew {
                        prop_assert!(later > earlier, "{:?} at {} vs {:?} at {}", later, later_real, earlier, earlier_real);
                    }
                }
            }
        }
    }
}
