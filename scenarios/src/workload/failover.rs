//! The order in which a client tries nodes, like Dyno's host selection: its home rack first, then the
//! other racks of its datacenter, then the other datacenters (a last resort, as Dyno's remote-zone
//! fallback).

use dynomite_chaos::Shape;

/// Node indexes (see [`Shape::node_index`]) in the order client `client` of `datacenter` tries them.
///
/// The home rack is `client % racks`; within each rack the client starts at node `client % nodes`
/// so clients of one rack spread over its nodes.
pub fn preference_order(shape: &Shape, datacenter: usize, client: usize) -> Vec<usize> {
    let racks = shape.racks_per_datacenter;
    let home_rack = client % racks;
    let datacenters = (0..shape.datacenters).map(|offset| (datacenter + offset) % shape.datacenters);
    let mut order = Vec::with_capacity(shape.node_count());
    for dc in datacenters {
        for rack_offset in 0..racks {
            let rack = (home_rack + rack_offset) % racks;
            for node_offset in 0..shape.nodes_per_rack {
                let node = (client + node_offset) % shape.nodes_per_rack;
                order.push(shape.node_index(dc, rack, node));
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_rack_first_then_other_racks_then_other_datacenters() {
        let shape = Shape::new(2, 3, 2);
        // Client 4 of dc1: home rack 1 (nodes 2, 3), starting at node 0 of each rack.
        assert_eq!(preference_order(&shape, 0, 4), vec![2, 3, 4, 5, 0, 1, 8, 9, 10, 11, 6, 7]);
        // Client 1 of dc2: home rack 1 of dc2 (nodes 8, 9), starting at node 1.
        assert_eq!(&preference_order(&shape, 1, 1)[..4], &[9, 8, 11, 10]);
    }
}
