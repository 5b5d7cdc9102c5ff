package dev.orgmesh.evidence.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;

/**
 * Package rules over the compiled main classes of every module (issue 24), read with ArchUnit from each module's
 * {@code target/classes} (the reactor builds them before this module): no package depends, directly or through
 * others, on a package that depends back on it.
 */
class ArchitectureTest {
    /** The modules with main code, in the reactor's order; bench and the test-only modules are left out. */
    static final List<String> MODULES = List.of("protocol", "testkit", "messaging", "service-support", "hub-bootstrap",
            "vault-client",
            "agent-runtime", "heartbeat", "vault-bridge", "console", "cli");

    static JavaClasses mainClasses() {
        List<Path> dirs = MODULES.stream().map(m -> Path.of("..", m, "target", "classes")).toList();
        assertThat(dirs).as("every module is compiled before the evidence module runs").allMatch(Files::isDirectory);
        return new ClassFileImporter().importPaths(dirs);
    }

    static final ArchRule NO_CYCLES = slices().matching("dev.orgmesh.(**)").should().beFreeOfCycles();

    @Test
    void noPackageCycles() {
        JavaClasses classes = mainClasses();
        assertThat(classes.size()).as("classes read").isGreaterThan(300);
        NO_CYCLES.check(classes);
    }

    /**
     * The agent's pipeline is a row of stages that the runtime wires: no stage reaches back into the runtime or the
     * service that start it (issue 24). The CLI uses libraries only: never the agent runtime or the console.
     */
    static final ArchRule STAGES_DO_NOT_CALL_BACK = noClasses().that().resideInAPackage("dev.orgmesh.agent.pipeline..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.orgmesh.agent.runtime..",
                    "dev.orgmesh.agent.service..");
    static final ArchRule CLI_USES_LIBRARIES = noClasses().that().resideInAPackage("dev.orgmesh.cli..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.orgmesh.agent..", "dev.orgmesh.console..");

    @Test
    void stagesDoNotCallBackAndTheCliUsesLibraries() {
        JavaClasses classes = mainClasses();
        STAGES_DO_NOT_CALL_BACK.check(classes);
        CLI_USES_LIBRARIES.check(classes);
    }

    /** The rule can fail: two test packages that import each other break it. */
    @Test
    void theRuleFindsACycle() {
        JavaClasses cyclic = new ClassFileImporter().importPackages("dev.orgmesh.evidence.architecture.cyclic");
        assertThatThrownBy(() -> NO_CYCLES.check(cyclic)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("cyclic.a").hasMessageContaining("cyclic.b");
    }
}
