package dev.orgmesh.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;
import dev.orgmesh.protocol.org.Agent;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgInvalidException;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.render.ClusterOptions;
import dev.orgmesh.render.HubRenderer;
import dev.orgmesh.render.RenderOptions;
import dev.orgmesh.render.RenderResult;
import dev.orgmesh.render.TlsOptions;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code orgmesh render ORG --out DIR}: the hub's nats-server config, and per agent a leaf config and its
 * credentials. Prints paths only; keys and passwords go to files readable by their owner alone.
 */
@Command(name = "render", description = "Render the hub config, leaf configs and credentials for an org.")
final class RenderCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "ORG", description = "The org file.")
    Path file;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created; keys kept across renders).")
    Path out;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address the hub's client listener binds (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--client-port", defaultValue = "4222", description = "Hub client port (default ${DEFAULT-VALUE}).")
    int clientPort;

    @Option(names = "--leafnode-host", defaultValue = "127.0.0.1", description = "Address the leafnode listener binds (default ${DEFAULT-VALUE}).")
    String leafnodeHost;

    @Option(names = "--leafnode-port", defaultValue = "7422", description = "Hub leafnode port leaves dial (default ${DEFAULT-VALUE}).")
    int leafnodePort;

    @Option(names = "--monitor-port", defaultValue = "8222", description = "Hub HTTP monitoring port, 0 for none (default ${DEFAULT-VALUE}).")
    int monitorPort;

    @Option(names = "--store-dir", paramLabel = "DIR", description = "JetStream store directory (default <out>/jetstream).")
    Path storeDir;

    @Option(names = "--leaf-port", defaultValue = "4222", description = "Local client port of every agent's leaf (default ${DEFAULT-VALUE}).")
    int leafPort;

    @Option(names = "--leaf-port-base", paramLabel = "PORT", description = "Give the agents' leaves consecutive ports from PORT, in file order (several leaves on one machine).")
    Integer leafPortBase;

    @ArgGroup(exclusive = false, heading = "TLS%n")
    Tls tls;

    @Option(names = {"--hub-nodes",
            "--cluster"}, paramLabel = "N", description = "Hub nodes: 1 (default) for one server, or N >= 3 for a JetStream cluster (streams at replicas 3) on consecutive ports; every leaf lists every node.")
    Integer cluster;

    static final class Tls {
        @Option(names = "--tls-cert", required = true, description = "The hub's certificate (PEM).")
        String cert;

        @Option(names = "--tls-key", required = true, description = "The hub's private key (PEM).")
        String key;

        @Option(names = "--tls-ca", description = "CA for verifying clients and leaves; also what leaves verify the hub with.")
        String ca;

        @Option(names = "--tls-verify-clients", description = "Require client and leaf certificates signed by --tls-ca.")
        boolean verify;

        @Option(names = "--leaf-tls-cert", description = "Certificate leaves present (with --tls-verify-clients).")
        String leafCert;

        @Option(names = "--leaf-tls-key", description = "Key of --leaf-tls-cert.")
        String leafKey;
    }

    @Override
    public Integer call() {
        Org org;
        try {
            org = OrgLoader.load(file);
        } catch (OrgInvalidException e) {
            spec.commandLine().getErr().println(e.getMessage());
            spec.commandLine().getErr().println("nothing rendered");
            return OrgmeshCommand.EXIT_INVALID;
        }
        RenderOptions options = RenderOptions.defaults()
                .withClient(host, clientPort)
                .withLeafnode(leafnodeHost, leafnodePort)
                .withMonitor(host, monitorPort)
                .withStoreDir(storeDir)
                .withLeafPort(leafPort)
                .withEnv(System.getenv());
        if (leafPortBase != null) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            int p = leafPortBase;
            for (Agent a : org.agents()) {
                ports.put(a.id(), p++);
            }
            options = options.withLeafPorts(ports);
        }
        if (tls != null) {
            options = options
                    .withTls(new TlsOptions(tls.cert, tls.key, tls.ca, tls.verify, tls.ca, tls.leafCert, tls.leafKey));
        }
        if (cluster != null) {
            checkHubNodes(cluster);
        }
        if (cluster != null && cluster > 1) {
            List<ClusterOptions.Node> nodes = new ArrayList<>();
            for (int i = 0; i < cluster; i++) {
                nodes.add(new ClusterOptions.Node("hub-" + (i + 1), host, clientPort + i, 6222 + i, leafnodePort + i,
                        monitorPort == 0 ? 0 : monitorPort + i));
            }
            options = options.withCluster(new ClusterOptions(org.company() + "-hub", nodes));
        }
        RenderResult r = new HubRenderer().render(org, options, out);
        var o = spec.commandLine().getOut();
        r.hubConfigs().forEach(p -> o.println("hub config: " + p));
        r.agents().forEach((id, a) -> o.printf("agent %s: leaf %s (clients at %s), credentials %s%n", id, a.leafConf(),
                a.leafClientUrl(), a.seed()));
        o.println(
                "private keys and passwords are in files readable only by their owner (0600); nothing secret was printed");
        o.flush();
        return 0;
    }

    /** 1 (one server) or at least 3: JetStream keeps streams at replicas 3, which two nodes cannot hold. */
    static void checkHubNodes(int n) {
        if (n < 1 || n == 2) {
            throw new OrgmeshException(ErrorCode.CLI_USAGE, "--hub-nodes " + n
                    + ": use 1 (one hub server) or 3 or more; JetStream replicas 3 needs 3 nodes, and a 2-node"
                    + " cluster loses its JetStream quorum when either node stops");
        }
    }
}
