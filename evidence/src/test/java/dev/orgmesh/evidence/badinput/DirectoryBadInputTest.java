package dev.orgmesh.evidence.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;

import io.nats.client.Connection;
import io.nats.client.Message;

import dev.orgmesh.evidence.RenderedHub;
import dev.orgmesh.evidence.badinput.Garbage.Body;
import dev.orgmesh.hub.directory.Directory;
import dev.orgmesh.hub.directory.DirectoryService;
import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.Json;
import dev.orgmesh.protocol.Subjects;
import dev.orgmesh.render.HubService;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The org directory ({@code {co}.org.>}, hub-bootstrap's {@link DirectoryService}) on a real rendered hub, asked by
 * an agent with bad requests on every endpoint: each gets a reply, either an answer or a {@code DIRECTORY_*} error
 * (3000–3099) naming the problem, never an "internal error" (an unexpected exception) and never silence; and after
 * each one the directory still answers a good request.
 */
class DirectoryBadInputTest {
    static final String SUITE = "Directory/";
    static final List<String> ENDPOINTS = List.of("member", "team", "role", "manager", "chain", "chart");

    static RenderedHub hub;
    static DirectoryService directory;
    static Connection athena;
    static Subjects s;

    @BeforeContainer
    static void start() {
        hub = RenderedHub.start();
        s = hub.org.subjects();
        directory = DirectoryService.start(hub.service(HubService.HUB_BOOTSTRAP, new RenderedHub.Violations()),
                new Directory(hub.org), s, "0.1.0");
        athena = hub.member("cto-athena", new RenderedHub.Violations());
    }

    @AfterContainer
    static void stop() {
        BadInputReport.write();
        if (directory != null) {
            directory.close();
        }
        if (hub != null) {
            hub.close();
        }
    }

    @Property(tries = 120)
    void everyBadRequestIsAnsweredAndTheDirectoryKeepsServing(@ForAll("endpoints") String endpoint,
            @ForAll("requests") Body body) throws Exception {
        Message reply = Exchange.send(athena, s.org(endpoint), inbox(), null, body.bytes());
        ErrorCode error = Exchange.errorOf(reply, 3000, 3099);
        String outcome;
        if (error != null) {
            assertThat(Exchange.text(reply)).as("%s on %s", body, endpoint).doesNotContain("internal error");
            outcome = error.name();
        } else {
            assertThat(Json.mapper().readTree(reply.getData()).isObject()).isTrue();
            outcome = "answered";
        }
        BadInputReport.count(SUITE + "badRequest", outcome);
        BadInputReport.count(SUITE + "badRequest[" + body.kind().replaceAll(":.*", "") + "]", outcome);

        Message good = Exchange.send(athena, s.org("member"), inbox(), null,
                "{\"id\":\"cto-athena\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(Exchange.errorOf(good, 3000, 3099)).isNull();
        assertThat(Json.mapper().readTree(good.getData()).path("id").asText()).isEqualTo("cto-athena");
    }

    static String inbox() {
        return athena.createInbox();
    }

    @Provide
    Arbitrary<String> endpoints() {
        return Arbitraries.of(ENDPOINTS);
    }

    @Provide
    Arbitrary<Body> requests() {
        byte[] valid = "{\"id\":\"cto-athena\",\"role\":\"role-cto\"}".getBytes(StandardCharsets.UTF_8);
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) readTree(valid);
        List<Arbitrary<Body>> all = new ArrayList<>(
                Garbage.generic(2048, 1_000, 900_000, Arbitraries.just(valid)));
        all.add(Garbage.wrongType(tree, Map.of("id", JsonNodeType.STRING, "role", JsonNodeType.STRING)));
        all.add(Garbage.unknownMembers(tree, Set.of("id", "role")));
        all.add(Arbitraries.of("cto-athena", "\"ceo-genesis\"", "exec", "role-backend", "ceo-genesys", "board",
                "nobody", "ROLE-CTO", "a.b", "*", ">", "cto athena", "_INBOX.x", "\"\"", "\"")
                .map(t -> new Body("bare-token", t.getBytes(StandardCharsets.UTF_8))));
        all.add(Arbitraries.strings().ofMaxLength(64).map(t -> new Body("random-text",
                t.getBytes(StandardCharsets.UTF_8))));
        return Arbitraries.oneOf(all);
    }

    static JsonNode readTree(byte[] b) {
        try {
            return Json.mapper().readTree(b);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
