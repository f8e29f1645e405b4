//! Command flags and ACL categories as small bit sets, in the order Redis 7.0 prints them.
//!
//! `COMMAND INFO` shows both sets; the proxy also reads a few flags (`loading`, `stale`, `blocking`,
//! `noscript`) when it decides what to do with a request, so they are typed rather than strings.

/// One Redis command flag, as shown by `COMMAND INFO` (variants in Redis's printing order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Flag {
    /// Subscriber-context command (`pubsub`).
    Pubsub,
    /// Reads data and never modifies it (`readonly`).
    Readonly,
    /// May modify the keyspace (`write`).
    Write,
    /// May grow memory use; refused when over `maxmemory` (`denyoom`).
    Denyoom,
    /// Administrative command (`admin`).
    Admin,
    /// Allowed on a cluster replica being migrated to (`asking`).
    Asking,
    /// Not allowed inside Lua scripts (`noscript`).
    Noscript,
    /// May block the client (`blocking`).
    Blocking,
    /// Allowed while the dataset loads (`loading`).
    Loading,
    /// Allowed on a replica with stale data (`stale`).
    Stale,
    /// O(1) or O(log N) command (`fast`).
    Fast,
    /// Refused while the replica loads asynchronously (`no_async_loading`).
    NoAsyncLoading,
    /// Allowed before authentication (`no_auth`).
    NoAuth,
    /// Not allowed inside MULTI (`no_multi`).
    NoMulti,
    /// Allowed while a script or function is busy (`allow_busy`).
    AllowBusy,
    /// Not propagated to MONITOR (`skip_monitor`).
    SkipMonitor,
    /// Keys are optional (`no_mandatory_keys`).
    NoMandatoryKeys,
    /// Key positions depend on the arguments (`movablekeys`).
    Movablekeys,
    /// Not recorded in the slow log (`skip_slowlog`).
    SkipSlowlog,
}

impl Flag {
    /// Every flag, in printing order.
    pub const ALL: [Flag; 19] = [
        Flag::Pubsub,
        Flag::Readonly,
        Flag::Write,
        Flag::Denyoom,
        Flag::Admin,
        Flag::Asking,
        Flag::Noscript,
        Flag::Blocking,
        Flag::Loading,
        Flag::Stale,
        Flag::Fast,
        Flag::NoAsyncLoading,
        Flag::NoAuth,
        Flag::NoMulti,
        Flag::AllowBusy,
        Flag::SkipMonitor,
        Flag::NoMandatoryKeys,
        Flag::Movablekeys,
        Flag::SkipSlowlog,
    ];

    /// The name `COMMAND INFO` shows.
    pub const fn name(self) -> &'static str {
        match self {
            Flag::Pubsub => "pubsub",
            Flag::Readonly => "readonly",
            Flag::Write => "write",
            Flag::Denyoom => "denyoom",
            Flag::Admin => "admin",
            Flag::Asking => "asking",
            Flag::Noscript => "noscript",
            Flag::Blocking => "blocking",
            Flag::Loading => "loading",
            Flag::Stale => "stale",
            Flag::Fast => "fast",
            Flag::NoAsyncLoading => "no_async_loading",
            Flag::NoAuth => "no_auth",
            Flag::NoMulti => "no_multi",
            Flag::AllowBusy => "allow_busy",
            Flag::SkipMonitor => "skip_monitor",
            Flag::NoMandatoryKeys => "no_mandatory_keys",
            Flag::Movablekeys => "movablekeys",
            Flag::SkipSlowlog => "skip_slowlog",
        }
    }
}

/// A set of [`Flag`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct Flags(u32);

impl Flags {
    /// The empty set.
    pub const EMPTY: Flags = Flags(0);

    /// The set of the given flags (usable in `const` tables).
    pub const fn of(flags: &[Flag]) -> Flags {
        let mut bits = 0;
        let mut index = 0;
        while index < flags.len() {
            bits |= 1 << flags[index] as u32;
            index += 1;
        }
        Flags(bits)
    }

    /// True when `flag` is in the set.
    pub const fn contains(self, flag: Flag) -> bool {
        self.0 & (1 << flag as u32) != 0
    }

    /// The flags of the set, in printing order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |flag| self.contains(*flag))
    }
}

/// One ACL category, as shown by `COMMAND INFO` with a leading `@` (variants in printing order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AclCategory {
    /// `@keyspace`: works on keys regardless of type.
    Keyspace,
    /// `@pubsub`: publish/subscribe.
    Pubsub,
    /// `@read`: reads data.
    Read,
    /// `@write`: writes data.
    Write,
    /// `@bitmap`: bitmap operations.
    Bitmap,
    /// `@geo`: geospatial indexes.
    Geo,
    /// `@hash`: hashes.
    Hash,
    /// `@hyperloglog`: HyperLogLogs.
    Hyperloglog,
    /// `@admin`: administration.
    Admin,
    /// `@set`: sets.
    Set,
    /// `@sortedset`: sorted sets.
    Sortedset,
    /// `@list`: lists.
    List,
    /// `@stream`: streams.
    Stream,
    /// `@string`: strings.
    String,
    /// `@fast`: O(1) or O(log N).
    Fast,
    /// `@slow`: everything not fast.
    Slow,
    /// `@blocking`: may block the client.
    Blocking,
    /// `@dangerous`: may harm the server.
    Dangerous,
    /// `@connection`: about the connection.
    Connection,
    /// `@scripting`: Lua scripts and functions.
    Scripting,
    /// `@transaction`: MULTI/EXEC.
    Transaction,
}

impl AclCategory {
    /// Every category, in printing order.
    pub const ALL: [AclCategory; 21] = [
        AclCategory::Keyspace,
        AclCategory::Pubsub,
        AclCategory::Read,
        AclCategory::Write,
        AclCategory::Bitmap,
        AclCategory::Geo,
        AclCategory::Hash,
        AclCategory::Hyperloglog,
        AclCategory::Admin,
        AclCategory::Set,
        AclCategory::Sortedset,
        AclCategory::List,
        AclCategory::Stream,
        AclCategory::String,
        AclCategory::Fast,
        AclCategory::Slow,
        AclCategory::Blocking,
        AclCategory::Dangerous,
        AclCategory::Connection,
        AclCategory::Scripting,
        AclCategory::Transaction,
    ];

    /// The name without the `@` (as `ACL CAT` and `COMMAND LIST FILTERBY ACLCAT` use it).
    pub const fn name(self) -> &'static str {
        match self {
            AclCategory::Keyspace => "keyspace",
            AclCategory::Pubsub => "pubsub",
            AclCategory::Read => "read",
            AclCategory::Write => "write",
            AclCategory::Bitmap => "bitmap",
            AclCategory::Geo => "geo",
            AclCategory::Hash => "hash",
            AclCategory::Hyperloglog => "hyperloglog",
            AclCategory::Admin => "admin",
            AclCategory::Set => "set",
            AclCategory::Sortedset => "sortedset",
            AclCategory::List => "list",
            AclCategory::Stream => "stream",
            AclCategory::String => "string",
            AclCategory::Fast => "fast",
            AclCategory::Slow => "slow",
            AclCategory::Blocking => "blocking",
            AclCategory::Dangerous => "dangerous",
            AclCategory::Connection => "connection",
            AclCategory::Scripting => "scripting",
            AclCategory::Transaction => "transaction",
        }
    }
}

/// A set of [`AclCategory`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub struct AclCategories(u32);

impl AclCategories {
    /// The empty set.
    pub const EMPTY: AclCategories = AclCategories(0);

    /// The set of the given categories (usable in `const` tables).
    pub const fn of(categories: &[AclCategory]) -> AclCategories {
        let mut bits = 0;
        let mut index = 0;
        while index < categories.len() {
            bits |= 1 << categories[index] as u32;
            index += 1;
        }
        AclCategories(bits)
    }

    /// True when `category` is in the set.
    pub const fn contains(self, category: AclCategory) -> bool {
        self.0 & (1 << category as u32) != 0
    }

    /// The categories of the set, in printing order.
    pub fn iter(self) -> impl Iterator<Item = AclCategory> {
        AclCategory::ALL.into_iter().filter(move |category| self.contains(*category))
    }
}

/// The documentation group of a command (`COMMAND DOCS` field `group`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// `bitmap`.
    Bitmap,
    /// `cluster`.
    Cluster,
    /// `connection`.
    Connection,
    /// `generic` (keyspace).
    Generic,
    /// `geo`.
    Geo,
    /// `hash`.
    Hash,
    /// `hyperloglog`.
    Hyperloglog,
    /// `list`.
    List,
    /// `pubsub`.
    Pubsub,
    /// `scripting`.
    Scripting,
    /// `server`.
    Server,
    /// `set`.
    Set,
    /// `sorted-set`.
    SortedSet,
    /// `stream`.
    Stream,
    /// `string`.
    String,
    /// `transactions`.
    Transactions,
}

impl Group {
    /// The name `COMMAND DOCS` shows.
    pub const fn name(self) -> &'static str {
        match self {
            Group::Bitmap => "bitmap",
            Group::Cluster => "cluster",
            Group::Connection => "connection",
            Group::Generic => "generic",
            Group::Geo => "geo",
            Group::Hash => "hash",
            Group::Hyperloglog => "hyperloglog",
            Group::List => "list",
            Group::Pubsub => "pubsub",
            Group::Scripting => "scripting",
            Group::Server => "server",
            Group::Set => "set",
            Group::SortedSet => "sorted-set",
            Group::Stream => "stream",
            Group::String => "string",
            Group::Transactions => "transactions",
        }
    }
}
