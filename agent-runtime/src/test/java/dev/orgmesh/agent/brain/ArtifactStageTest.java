package dev.orgmesh.agent.brain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.orgmesh.agent.Fixture;
import dev.orgmesh.agent.workspace.Workspace;
import dev.orgmesh.protocol.envelope.Envelope;

/** The artifact stage blocks (is called on a virtual thread) when its brain does or the message names artifacts. */
class ArtifactStageTest {
    @Test
    void aMessageReferencingArtifactsMakesTheStageBlockingEvenAroundABrainThatIsNot(@TempDir Path dir) {
        Handler memory = Handler.nonBlocking((in, ctx) -> Outcome.nothing());
        Handler model = (in, ctx) -> Outcome.nothing();
        Envelope plain = Fixture.envelope("ceo", "cto", "task").id("t-1").build();
        Envelope withArtifact = plain.toBuilder().artifacts(List.of("obj://B/spec.md")).build();
        Envelope withPath = plain.toBuilder().artifactPath("obj://B/spec.md").build();

        ArtifactStage light = new ArtifactStage(memory, Workspace.at(dir), null, "B");
        assertThat(light.blocking(plain)).isFalse();
        assertThat(light.blocking(withArtifact)).as("fetched before the brain runs").isTrue();
        assertThat(light.blocking(withPath)).isTrue();
        assertThat(new ArtifactStage(model, Workspace.at(dir), null, "B").blocking(plain)).isTrue();
    }
}
