//! Fault plans: determinism per seed, and the rules every plan keeps whatever the seed (proptest).

use dynomite_chaos::{plan, Fault, FaultState, PlanKind, Shape};
use proptest::prelude::*;

/// Fault phase long enough for several episodes of every kind.
const PHASE_MS: u64 = 60_000;
/// Largest clock offset any skew knob allows, in ms.
const CLOCK_OFFSET_MS_LIMIT: u64 = 5_000;

#[test]
fn kind_names_round_trip() {
    for kind in PlanKind::ALL {
        assert_eq!(kind.to_string().parse::<PlanKind>(), Ok(kind));
    }
    assert_eq!("MONKEY-WIPE".parse::<PlanKind>(), Ok(PlanKind::MonkeyWipe));
    let error = "chimp".parse::<PlanKind>().unwrap_err();
    assert!(error.to_string().contains("\"chimp\""), "{error}");
}

#[test]
fn same_seed_gives_the_same_plan() {
    let shape = Shape::new(2, 3, 2);
    for kind in PlanKind::ALL {
        for seed in [0, 1, 42, u64::MAX] {
            assert_eq!(plan(kind, &shape, seed, PHASE_MS), plan(kind, &shape, seed, PHASE_MS), "{kind}");
        }
    }
}

#[test]
fn different_seeds_give_different_plans() {
    let shape = Shape::new(2, 3, 2);
    for kind in PlanKind::ALL {
        let first = plan(kind, &shape, 1, PHASE_MS);
        let second = plan(kind, &shape, 2, PHASE_MS);
        assert_ne!(first.events, second.events, "{kind}");
        assert_ne!(first.describe(), second.describe(), "{kind}");
    }
}

#[test]
fn describe_names_the_kind_seed_and_every_knob() {
    let swarm = plan(PlanKind::Swarm, &Shape::new(2, 3, 1), 99, PHASE_MS);
    let line = swarm.describe();
    assert!(line.starts_with("swarm seed=99 ingredients="), "{line}");
    for (name, value) in &swarm.knobs {
        assert!(line.contains(&format!(" {name}={value}")), "{line} lacks {name}");
    }
    assert!(!line.contains('\n'));
}

#[test]
fn monkey_keeps_data_and_monkey_wipe_loses_it() {
    let shape = Shape::new(1, 3, 1);
    let kept = plan(PlanKind::Monkey, &shape, 5, PHASE_MS).check(&shape).unwrap();
    let lost = plan(PlanKind::MonkeyWipe, &shape, 5, PHASE_MS).check(&shape).unwrap();
    assert!(kept.node_kills > 0 && kept.data_wipes == 0, "{kept:?}");
    assert!(lost.node_kills > 0 && lost.data_wipes == lost.node_kills, "{lost:?}");
}

#[test]
fn flap_kills_only_one_node_many_times() {
    let shape = Shape::new(2, 3, 1);
    let flap = plan(PlanKind::Flap, &shape, 3, PHASE_MS);
    let node: usize = flap.knob("node").unwrap().parse().unwrap();
    let kills: Vec<usize> = flap
        .events
        .iter()
        .filter_map(|event| match event.fault {
            Fault::KillNode { node, .. } => Some(node),
            _ => None,
        })
        .collect();
    assert!(kills.len() > 3, "{kills:?}");
    assert!(kills.iter().all(|killed| *killed == node));
}

#[test]
fn a_phase_too_short_for_any_episode_is_just_the_heal() {
    let shape = Shape::new(1, 1, 1);
    for kind in [PlanKind::Monkey, PlanKind::Gorilla, PlanKind::Kong, PlanKind::Partition, PlanKind::Flap] {
        let short = plan(kind, &shape, 8, 10);
        assert_eq!(short.events.len(), 1, "{kind}");
        assert_eq!(short.events[0].fault, Fault::Heal);
    }
}

#[test]
fn replay_rejects_a_restart_of_a_running_node() {
    let mut state = FaultState::new(Shape::new(1, 1, 2));
    state.apply(1, &Fault::KillNode { node: 0, wipe_data: true }).unwrap();
    assert!(state.apply(2, &Fault::RestartNode { node: 1 }).is_err());
    assert!(state.apply(2, &Fault::KillNode { node: 0, wipe_data: false }).is_err());
    state.apply(3, &Fault::Heal).unwrap();
    assert!(state.is_healed());
    assert!(state.nodes_wiped().contains(&0));
}

/// Shapes from a single node to 3 datacenters x 3 racks x 2 nodes.
fn shapes() -> impl Strategy<Value = Shape> {
    (1usize..=3, 1usize..=3, 1usize..=2).prop_map(|(dcs, racks, nodes)| Shape::new(dcs, racks, nodes))
}

fn kinds() -> impl Strategy<Value = PlanKind> {
    proptest::sample::select(PlanKind::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Sorted, in range, restarts follow kills, ends healed, never more down than the kind allows.
    #[test]
    fn every_plan_keeps_the_rules(kind in kinds(), shape in shapes(), seed in any::<u64>(), phase_ms in 0u64..120_000) {
        let drawn = plan(kind, &shape, seed, phase_ms);
        let summary = drawn.check(&shape).map_err(|error| TestCaseError::fail(format!("{}: {error}", drawn.describe())))?;
        prop_assert!(summary.nodes_down_max <= kind.nodes_down_max(&shape));
        prop_assert!(summary.clock_offset_ms_max <= CLOCK_OFFSET_MS_LIMIT);
        prop_assert_eq!(drawn.heal_at_ms, phase_ms);
        prop_assert!(drawn.events.iter().all(|event| event.at_ms <= phase_ms));
        let mut state = FaultState::new(shape);
        for event in &drawn.events {
            state.apply(event.at_ms, &event.fault).unwrap();
        }
        prop_assert!(state.is_healed());
    }

    /// Kinds that must not kill never do; skew stays within its drawn bound.
    #[test]
    fn partition_and_skew_never_kill(shape in shapes(), seed in any::<u64>()) {
        for kind in [PlanKind::Partition, PlanKind::Skew] {
            let summary = plan(kind, &shape, seed, PHASE_MS).check(&shape).unwrap();
            prop_assert_eq!(summary.node_kills, 0);
        }
        let skew = plan(PlanKind::Skew, &shape, seed, PHASE_MS);
        let bound: u64 = skew.knob("offset_ms_max").unwrap().parse().unwrap();
        prop_assert!(skew.check(&shape).unwrap().clock_offset_ms_max <= bound);
    }
}
