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
 * {@code base+10..13} (the console's page at {@code base+13}), and per agent (in file order) a leaf port {@code base+100+i} and an HTTP port
 * {@code base+200+i}.
 */
public record LocalPorts(int base, List<String> agents) {
    public static LocalPorts of(Org org, int base) {
        return new LocalPorts(base, org.agents().stream().map(Agent::id).toList());
    }

    public int hubClient() {
        return base;
    }

    public int hubLeafnode() {
        return base + 1;
    }

    public int hubMonitor() {
        return base + 2;
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
        m.put(hubClient(), "hub client port");
        m.put(hubLeafnode(), "hub leafnode port");
        m.put(hubMonitor(), "hub monitoring port");
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
