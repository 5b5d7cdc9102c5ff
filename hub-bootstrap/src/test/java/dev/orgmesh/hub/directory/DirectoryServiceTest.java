package dev.orgmesh.hub.directory;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;

import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.protocol.directory.DirectoryWire.ChartView;
import dev.orgmesh.protocol.directory.DirectoryWire.MemberView;
import dev.orgmesh.protocol.directory.DirectoryWire.TeamView;
import dev.orgmesh.protocol.org.Org;
import dev.orgmesh.protocol.org.OrgLoader;
import dev.orgmesh.testkit.NatsCli;
import dev.orgmesh.testkit.NatsServer;

/** The directory, asked by a plain jnats client as any NATS user would. */
class DirectoryServiceTest {
    static NatsServer server;
    static Connection serviceConnection;
    static Connection client;
    static DirectoryService service;
    static final Org ORG = OrgLoader.load(Path.of("..", "examples", "komodo-ai.yaml"));
    static final Subjects S = ORG.subjects();

    @BeforeAll
    static void start() throws Exception {
        server = NatsServer.jetStream();
        serviceConnection = Nats.connect(server.clientUrl());
        service = DirectoryService.start(serviceConnection, new Directory(ORG), S, "0.1.0");
        client = Nats.connect(server.clientUrl());
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        client.close();
        serviceConnection.close();
        server.close();
    }

    static Message ask(String endpoint, String body) throws Exception {
        Message m = client.request(S.org(endpoint), body == null ? null : body.getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5));
        assertThat(m).as("a reply on %s", endpoint).isNotNull();
        return m;
    }

    static JsonNode json(Message m) throws Exception {
        return Json.mapper().readTree(m.getData());
    }

    @Test
    void member() throws Exception {
        JsonNode athena = json(ask("member", "{\"id\":\"cto-athena\"}"));
        assertThat(athena.get("name").textValue()).isEqualTo("Athena");
        assertThat(athena.get("reports_to").textValue()).isEqualTo("ceo-genesis");
        assertThat(athena.get("dm").textValue()).isEqualTo("komodo-ai.dm.cto-athena");
        assertThat(athena.get("soul").get("personality").textValue()).isEqualTo("precise, candid");
        assertThat(json(ask("member", "board")).get("kind").textValue()).as("bare id works").isEqualTo("human");
    }

    @Test
    void teamRoleManagerChainChart() throws Exception {
        JsonNode eng = json(ask("team", "eng"));
        assertThat(eng.get("channel").textValue()).isEqualTo("komodo-ai.eng");
        assertThat(eng.get("members")).extracting(n -> n.get("id").textValue()).containsExactly("backend-hephaestus",
                "devops-hermes");

        JsonNode role = json(ask("role", "{\"role\":\"role-backend\"}"));
        assertThat(role.get("tasks").textValue()).isEqualTo("komodo-ai.tasks.role-backend");

        assertThat(json(ask("manager", "devops-hermes")).get("chain").get(0).get("id").textValue())
                .isEqualTo("cto-athena");
        assertThat(json(ask("manager", "board")).get("chain")).as("a human has no manager").isEmpty();
        assertThat(json(ask("chain", "devops-hermes")).get("chain")).extracting(n -> n.get("id").textValue())
                .containsExactly("cto-athena", "ceo-genesis", "board");

        JsonNode chart = json(ask("chart", null));
        assertThat(chart.get("text").textValue()).contains("└── board — The Board (human)");
        assertThat(chart.get("members")).hasSize(6);
        assertThat(Json.mapper().treeToValue(chart, ChartView.class)).as("a client decodes protocol's type")
                .isEqualTo(ChartView.of(ORG));
        assertThat(Json.mapper().treeToValue(json(ask("team", "eng")), TeamView.class).members())
                .extracting(MemberView::reportsTo).containsOnly("cto-athena");
    }

    @Test
    void unknownAndMalformedRequestsGetServiceErrors() throws Exception {
        Message unknown = ask("member", "ceo-genesys");
        assertThat(unknown.getHeaders().getFirst("Nats-Service-Error-Code")).isEqualTo("3003");
        assertThat(unknown.getHeaders().getFirst("Nats-Service-Error")).contains("ceo-genesys")
                .contains("did you mean 'ceo-genesis'?");
        assertThat(json(unknown).get("error").textValue()).isEqualTo("DIRECTORY_UNKNOWN_MEMBER");

        assertThat(ask("member", "{not json").getHeaders().getFirst("Nats-Service-Error-Code")).isEqualTo("3006");
        assertThat(ask("team", "").getHeaders().getFirst("Nats-Service-Error-Code")).isEqualTo("3006");
        assertThat(ask("role", "role-cfo").getHeaders().getFirst("Nats-Service-Error-Code")).isEqualTo("3005");
        assertThat(json(ask("member", "cto-athena")).get("id").textValue()).as("still serving after errors")
                .isEqualTo("cto-athena");
    }

    @Test
    void discoverableThroughSrvPingAndInfo() throws Exception {
        Message ping = client.request("$SRV.PING." + DirectoryService.NAME, null, Duration.ofSeconds(5));
        assertThat(json(ping).get("name").textValue()).isEqualTo(DirectoryService.NAME);
        Message info = client.request("$SRV.INFO." + DirectoryService.NAME, null, Duration.ofSeconds(5));
        assertThat(json(info).get("endpoints")).extracting(n -> n.get("subject").textValue())
                .contains("komodo-ai.org.member", "komodo-ai.org.chart");
        Message stats = client.request("$SRV.STATS." + DirectoryService.NAME, null, Duration.ofSeconds(5));
        assertThat(json(stats).get("endpoints")).isNotEmpty();
    }

    /** What a NATS user types: the real {@code nats} CLI finds the directory and asks it. */
    @Test
    void theNatsCliFindsAndAsksTheDirectory() throws Exception {
        NatsCli.Result list = NatsCli.run("-s", server.clientUrl(), "micro", "ls", "--json");
        assertThat(list.exit()).as(list.output()).isZero();
        assertThat(Json.mapper().readTree(list.output())).extracting(n -> n.get("name").textValue())
                .contains(DirectoryService.NAME);

        NatsCli.Result info = NatsCli.run("-s", server.clientUrl(), "micro", "info", DirectoryService.NAME, "--json");
        assertThat(info.exit()).as(info.output()).isZero();
        assertThat(info.output()).contains("komodo-ai.org.manager").contains("komodo-ai.org.chain");

        NatsCli.Result manager = NatsCli.run("-s", server.clientUrl(), "req", S.org("manager"), "devops-hermes",
                "--raw", "--timeout", "5s");
        assertThat(manager.exit()).as(manager.output()).isZero();
        assertThat(Json.mapper().readTree(manager.output()).get("chain").get(0).get("id").textValue())
                .isEqualTo("cto-athena");
    }
}
