//! One connection's order at the default level (issue 7): against three racks at DC_ONE, a pipelined
//! `SET k v; GET k; INCR c; GET c` on one connection reads its own writes. Before the fix the GETs
//! overtook the replicated writes (a local DC_ONE read went to Redis at dispatch, a replicated write
//! only when the reply writer reached it) and came back nil.

mod cluster;

use cluster::{bulk, show, Cluster, Shape};
use dynomite_testkit::RespConn;

/// Rounds of the four-request sequence pipelined per connection before any reply is read.
const ROUNDS: usize = 50;

/// Pipelines `SET k v; GET k; INCR c; GET c` for `ROUNDS` fresh key pairs, then reads every reply.
fn pipelined_rounds(connection: &mut RespConn, prefix: &str) {
    for round in 0..ROUNDS {
        let (key, counter, value) =
            (format!("{prefix}:k{round}"), format!("{prefix}:c{round}"), format!("v{round}"));
        connection.send(&["SET", key.as_str(), value.as_str()]).expect("send SET");
        connection.send(&["GET", key.as_str()]).expect("send GET");
        connection.send(&["INCR", counter.as_str()]).expect("send INCR");
        connection.send(&["GET", counter.as_str()]).expect("send GET counter");
    }
    for round in 0..ROUNDS {
        let mut reply = || connection.read_reply().expect("read reply");
        assert_eq!(show(&reply()), "+OK\\r\\n", "{prefix} round {round}: SET");
        assert_eq!(
            show(&reply()),
            show(&bulk(&format!("v{round}"))),
            "{prefix} round {round}: GET after SET"
        );
        assert_eq!(show(&reply()), ":1\\r\\n", "{prefix} round {round}: INCR");
        assert_eq!(show(&reply()), show(&bulk("1")), "{prefix} round {round}: GET after INCR");
    }
}

#[test]
fn a_pipelined_read_sees_the_write_before_it_at_dc_one_on_three_racks() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    for node in 0..cluster.len() {
        // Keys of both nodes of the rack: some owned by the node itself, some by its rack peer.
        pipelined_rounds(&mut cluster.client(node), &format!("order-{node}"));
    }
    for node in 0..cluster.len() {
        pipelined_rounds(&mut cluster.client_at(node, "dc_quorum"), &format!("order-quorum-{node}"));
    }
}
