//! Mutants: small, deliberate bugs in the product's own logic, compiled **only into the simulation
//! build** (`--cfg madsim`), so the seed sweep can prove that its checkers notice when the product is
//! wrong (the mutant gate: `dynomite-sim-runner mutants`, run by `ci/run`).
//!
//! A mutation point in product code reads:
//!
//! ```ignore
//! if dynomite_core::mutant!(QuorumOneShort) {
//!     // the deliberately wrong behaviour
//! }
//! ```
//!
//! Without `--cfg madsim` the macro expands to the literal `false`: the branch is dead code the
//! compiler removes, the [`Mutant`] type does not exist, and no mutant name reaches the release binary
//! (`ci/run` checks that with `strings`). With `--cfg madsim` it asks [`is_active`], a process-wide
//! switch the seed runner sets before a run ([`activate`]); at most one mutant is active at a time.

#[cfg(madsim)]
pub use switch::{activate, active, is_active, Mutant};

/// True when the named mutant is active. Always `false` outside the simulation build.
#[cfg(madsim)]
#[macro_export]
macro_rules! mutant {
    ($name:ident) => {
        $crate::mutants::is_active($crate::mutants::Mutant::$name)
    };
}

/// True when the named mutant is active. Always `false` outside the simulation build.
#[cfg(not(madsim))]
#[macro_export]
macro_rules! mutant {
    ($name:ident) => {
        false
    };
}

#[cfg(madsim)]
mod switch {
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// No mutant active.
    const NONE: usize = usize::MAX;

    /// The active mutant's index in [`Mutant::ALL`], or [`NONE`].
    static ACTIVE: AtomicUsize = AtomicUsize::new(NONE);

    macro_rules! mutants {
        ($($(#[$doc:meta])* $variant:ident = $name:literal, $breaks:literal;)*) => {
            /// Every deliberate bug the simulation build knows.
            #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
            pub enum Mutant {
                $($(#[$doc])* $variant,)*
            }

            impl Mutant {
                /// Every mutant, in gate order.
                pub const ALL: &'static [Mutant] = &[$(Mutant::$variant,)*];

                /// The command-line name (kebab case).
                pub fn name(self) -> &'static str {
                    match self {
                        $(Mutant::$variant => $name,)*
                    }
                }

                /// One line: what the bug breaks.
                pub fn breaks(self) -> &'static str {
                    match self {
                        $(Mutant::$variant => $breaks,)*
                    }
                }

                /// The mutant named `name` (kebab case), if any.
                pub fn from_name(name: &str) -> Option<Mutant> {
                    Mutant::ALL.iter().copied().find(|mutant| mutant.name() == name)
                }
            }
        };
    }

    mutants! {
        // --- coordinator and planner (runtime-real/src/coordinator.rs, core/src/cluster/plan.rs) ---
        /// The coordinator answers quorum levels one acknowledgement short of a quorum.
        QuorumOneShort = "quorum-one-short", "quorum levels answer one acknowledgement short of a quorum";
        /// The planner's quorum size is `n / 2` instead of `n / 2 + 1`.
        QuorumHalf = "quorum-half", "quorum arithmetic: quorum of n replicas is n/2 instead of n/2+1";
        /// The planner picks the previous node on the ring (largest token below the key's) in the last rack.
        WrongRackOwner = "wrong-rack-owner", "replica selection: the last rack's replica is the ring predecessor, not the owner";
        /// Writes skip the last rack of the local datacenter.
        SkipLastRack = "skip-last-rack", "rack fan-out: writes never reach the last rack of the datacenter";
        /// Writes are not forwarded to remote datacenters.
        NoRemoteForward = "no-remote-forward", "datacenter fan-out: writes are never forwarded to remote datacenters";
        /// A remote datacenter's entry node applies a forwarded write to itself only.
        EntryAppliesLocallyOnly = "entry-applies-locally-only", "remote-DC receiver: a forwarded write reaches only the entry node's rack";
        /// INCR/INCRBY/DECR/DECRBY are sent twice to the local replica.
        CounterAppliedTwice = "counter-applied-twice", "counters: an increment is applied twice on the coordinator's replica";
        /// Replicated requests are sent when the reply writer reaches them (lazily), so a later local read overtakes them.
        LazyReplicatedSend = "lazy-replicated-send", "reply order on one connection: a pipelined read overtakes the write before it";
        /// The datastore pool picks a connection round-robin instead of by the key's token.
        PoolRoundRobin = "pool-round-robin", "datastore pool: two requests of one key may take different connections and swap";
        // --- core: reply comparison, multi-key, command classes, cursors ---
        /// DC_SAFE_QUORUM accepts a quorum of replies without requiring them to be identical.
        SafeQuorumAcceptsDifferent = "safe-quorum-accepts-different", "reply comparison: DC_SAFE_QUORUM answers with non-identical replies";
        /// MGET's merged reply takes the fragments' values in fragment order, not key order.
        MgetMergeFragmentOrder = "mget-merge-fragment-order", "multi-key merge: MGET values come back in fragment order, not key order";
        /// MSET drops the last fragment but answers OK.
        MsetDropsLastFragment = "mset-drops-last-fragment", "multi-key split: an OK MSET leaves the keys of its last fragment unwritten";
        /// DEL and UNLINK are classified as reads (not replicated).
        DeleteAsRead = "delete-as-read", "deletes: DEL/UNLINK reach only the coordinator's rack";
        /// EXPIRE/PEXPIRE are classified as reads (not replicated).
        ExpireAsRead = "expire-as-read", "expiry: EXPIRE/PEXPIRE reach only the coordinator's rack";
        /// A SCAN cursor that finishes one node skips the next node of the rack.
        ScanSkipsNode = "scan-skips-node", "cluster SCAN: the cursor skips a node of the rack";
        // --- peer links (runtime-real/src/peer) ---
        /// An ejected peer is never readmitted (`server_retry_timeout` ignored).
        EjectedForever = "ejected-forever", "ejection: an auto-ejected peer stays down forever";
        /// A lost peer connection is never reconnected.
        LinkNeverReconnects = "link-never-reconnects", "reconnection: a peer link that breaks stays down";
        /// A peer that connects to this node does not cut short the reconnect backoff of the links to it.
        PeerHeardIgnored = "peer-heard-ignored", "peer links: a restarted peer that dials us is used only after the reconnect backoff";
        /// Missed heartbeats never mark a link unhealthy; requests wait out `timeout`.
        HeartbeatIgnored = "heartbeat-ignored", "timeouts: a silent peer holds requests for the full timeout";
        // --- anti-entropy: CRDT merge and HLC (core/src/crdt) ---
        /// The CRDT merge keeps the value with the older timestamp.
        MergePrefersOlder = "merge-prefers-older", "CRDT merge: a register or element keeps the older timestamp's value";
        /// The PN-counter merge adds components instead of taking their maximum.
        CounterMergeSums = "counter-merge-sums", "PN-counter merge: replicas' components are summed, so a merge double-counts";
        /// The hybrid logical clock returns the wall clock alone (no max with the last or observed timestamp).
        HlcWallClockOnly = "hlc-wall-clock-only", "HLC: timestamps follow the wall clock only, so a skewed node's newer write loses";
        // --- anti-entropy: Lua write scripts (core/src/crdt/scripts) ---
        /// Write scripts apply an update older than the stored timestamp.
        ScriptIgnoresTimestamp = "script-ignores-timestamp", "LWW scripts: a late, older write overwrites a newer value";
        /// Counter scripts add a shipped component's totals instead of joining them (maximum).
        CounterRetryDoubleCounts = "counter-retry-double-counts", "PN-counter scripts: a shipped, replayed or merged component is added, not joined, so increments count twice";
        /// Counter components are named by the coordinating node instead of the applying datastore.
        CounterComponentPerCoordinator = "counter-component-per-coordinator", "PN-counter scripts: components are named by the coordinator, so two appliers (or one wiped) lose increments in the join";
        /// Counter settling answers once a quorum "holds" the merge but never writes it to stale replicas.
        CounterSettleNoWriteBack = "counter-settle-no-write-back", "PN-counter settling: a DC_SAFE_QUORUM counter op whose replicas disagreed is answered without writing the merge to the stale replicas";
        // --- anti-entropy: read repair (runtime-real/src/coordinator.rs, read repair) ---
        /// Read repair answers with the merge but never writes it back to stale replicas.
        NoReadRepairWriteBack = "no-read-repair-write-back", "read repair: stale replicas are never written back";
        /// Read repair answers with the first replica's state instead of the merge.
        ReadRepairAnswersFirst = "read-repair-answers-first", "read repair: the answer is the first reply, not the merged state";
        /// Read repair counts a replica state that already holds a write the coordinator issued after the read.
        ReadSeesSuccessor = "read-sees-successor", "read repair: a pipelined read answers with a write its own connection sent after it, delivered early by repair";
        // --- gossip (core/src/gossip) ---
        /// A gossip down mark is never cleared when the member is heard from again.
        GossipDownNeverCleared = "gossip-down-never-cleared", "gossip: a node marked down stays down after it returns";
        // --- node states (core/src/cluster/local_state.rs) ---
        /// A node in WRITES_ONLY or RESUMING answers reads.
        WritesOnlyServesReads = "writes-only-serves-reads", "node states: a node warming up (WRITES_ONLY) answers reads from its incomplete data";
        // --- anti-entropy: hinted handoff (runtime-real/src/peer) ---
        /// Hints are stored but never replayed when the replica returns.
        HintsNeverReplayed = "hints-never-replayed", "hinted handoff: a write missed by a down replica is never replayed";
        // --- anti-entropy: background repair and tombstone GC (runtime-real/src/repair) ---
        /// The change-log repair pops keys but never merges them across replicas.
        ChangeLogRepairSkipped = "change-log-repair-skipped", "background repair: recently written keys are never compared across replicas";
        /// The range repair treats every bucket as equal.
        RangeRepairSkipsBuckets = "range-repair-skips-buckets", "range repair: differing digest buckets are never shipped";
        /// Tombstones are collected at once, before every replica acknowledged the delete.
        TombstoneCollectedEarly = "tombstone-collected-early", "tombstone GC: a delete is forgotten before every replica saw it, so the value returns";
        // --- security: the peer handshake (runtime-real/src/auth.rs) ---
        /// Any proof of the cluster secret is accepted.
        PeerProofIgnored = "peer-proof-ignored", "peer handshake: a stranger's wrong proof of peer_secret is accepted, so its requests run";
    }

    /// Switches `mutant` on for every node of this process (None: the correct product).
    pub fn activate(mutant: Option<Mutant>) {
        // `ALL` lists the variants in declaration order, so a variant's discriminant is its index.
        ACTIVE.store(mutant.map_or(NONE, |mutant| mutant as usize), Ordering::SeqCst);
    }

    /// The active mutant, if any.
    pub fn active() -> Option<Mutant> {
        Mutant::ALL.get(ACTIVE.load(Ordering::Relaxed)).copied()
    }

    /// True when `mutant` is the active one.
    pub fn is_active(mutant: Mutant) -> bool {
        ACTIVE.load(Ordering::Relaxed) == mutant as usize
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn names_are_unique_and_round_trip() {
            for (index, mutant) in Mutant::ALL.iter().enumerate() {
                assert_eq!(*mutant as usize, index, "ALL lists the variants in declaration order");
                assert_eq!(Mutant::from_name(mutant.name()), Some(*mutant));
            }
            assert!(Mutant::ALL.len() >= 15);
        }
    }
}
