package dev.orgmesh.cli.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;

/**
 * The 127.0.0.1 ports a local org uses, all derived from one base so two orgs (or a test) can run side by side:
 * hub client {@code base}, hub leafnode {@code base+1}, hub monitoring {@code base+2}, service HTTP ports
 * {@code base+10..13} (the console's page at {@code base+13}), and per agent (in file order) a leaf port
 * {@code base+100+i} and an HTTP port {@code base+200+i}. A clustered hub's first node keeps the hub's ports; node
 * {@code k} (from 1) has client {@code base+20+k}, leafnode {@code base+30+k} and monitoring {@code base+40+k}, and
 * every node {@code k} (from 0) its route port {@code base+50+k}.
 *
 * @param hubNodes how many hub nodes: 1, or 3 to {@value #MAX_HUB_NODES} for a cluster
 */
public record LocalPorts(int base, List<String> agents, int hubNodes) {
    /** The most hub nodes the port layout has room for. */
    public static final int MAX_HUB_NODES = 9;

    public LocalPorts {
        if (hubNodes < 1 || hubNodes > MAX_HUB_NODES) {
            throw new OrgmeshException(ErrorCode.CLI_USAGE,
                    "--hub-nodes " + hubNodes + ": orgmesh up runs 1 to " + MAX_HUB_NODES + " hub nodes");
        }
        agents = List.copyOf(agents);
    }

    public static LocalPorts of(Org org, int base) {
        return of(org, base, 1);
    }

    public static LocalPorts of(Org org, int base, int hubNodes) {
        return new LocalPorts(base, org.agents().stream().map(Agent::id).toList(), hubNodes);
    }

    public int hubClient() {
        return hubClient(0);
    }

    public int hubLeafnode() {
        return hubLeafnode(0);
    }

    public int hubMonitor() {
        return hubMonitor(0);
    }

    /** The client port of hub node {@code k} (from 0). */
    public int hubClient(int k) {
        return k == 0 ? base : base + 20 + k;
    }

    /** The leafnode port of hub node {@code k} (from 0). */
    public int hubLeafnode(int k) {
        return k == 0 ? base + 1 : base + 30 + k;
    }

    /** The monitoring port of hub node {@code k} (from 0). */
    public int hubMonitor(int k) {
        return k == 0 ? base + 2 : base + 40 + k;
    }

    /** The route port of hub node {@code k} (from 0), used by a cluster only. */
    public int hubRoute(int k) {
        return base + 50 + k;
    }

    public int bootstrapHttp() {
        return base + 10;
    }

    public int heartbeatHttp() {
        return base + 11;
    }

    public int vaultHttp() {
        return base + 12;
    }

    /** The console's page and API on 127.0.0.1. */
    public int consoleHttp() {
        return base + 13;
    }

    public int leaf(String agent) {
        return base + 100 + index(agent);
    }

    public int agentHttp(String agent) {
        return base + 200 + index(agent);
    }

    private int index(String agent) {
        int i = agents.indexOf(agent);
        if (i < 0) {
            throw new IllegalArgumentException("no agent " + agent);
        }
        return i;
    }

    /** Every port with what it is for. */
    public Map<Integer, String> all() {
        Map<Integer, String> m = new LinkedHashMap<>();
        if (hubNodes == 1) {
            m.put(hubClient(), "hub client port");
            m.put(hubLeafnode(), "hub leafnode port");
            m.put(hubMonitor(), "hub monitoring port");
        } else {
            for (int k = 0; k < hubNodes; k++) {
                String node = "hub node " + LocalOrg.hubNodeName(k) + " ";
                m.put(hubClient(k), node + "client port");
                m.put(hubLeafnode(k), node + "leafnode port");
                m.put(hubMonitor(k), node + "monitoring port");
                m.put(hubRoute(k), node + "route port");
            }
        }
        m.put(bootstrapHttp(), "hub-bootstrap HTTP");
        m.put(heartbeatHttp(), "heartbeat HTTP");
        m.put(vaultHttp(), "vault-bridge HTTP");
        m.put(consoleHttp(), "console page");
        for (String a : agents) {
            m.put(leaf(a), a + "'s leaf");
            m.put(agentHttp(a), a + "'s HTTP");
        }
        return m;
    }

    /** Throws, naming the first port already taken and what it was for. */
    public void checkFree() {
        for (Map.Entry<Integer, String> e : all().entrySet()) {
            try (ServerSocket s = new ServerSocket(e.getKey(), 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException ex) {
                throw new OrgmeshException(ErrorCode.CLI_USAGE, "port " + e.getKey() + " (" + e.getValue()
                        + ") on 127.0.0.1 is already in use; stop what holds it or choose other ports with --base-port");
            }
        }
    }
}
