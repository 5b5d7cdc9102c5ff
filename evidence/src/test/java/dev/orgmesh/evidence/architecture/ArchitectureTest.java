package dev.orgmesh.evidence.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.ReferencedClassObject;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

/**
 * Package rules over the compiled main classes of every module (issue 24), read with ArchUnit from each module's
 * {@code target/classes} (the reactor builds them before this module): no package depends, directly or through
 * others, on a package that depends back on it; the CLI uses libraries only; the libraries use neither Quarkus nor
 * CDI; wire types are declared only in protocol and vault-client; the services' entry points stay thin.
 */
class ArchitectureTest {
    /** The modules with main code, in the reactor's order; bench and the test-only modules are left out. */
    static final List<String> MODULES = List.of("protocol", "testkit", "messaging", "assets", "service-support",
            "render", "hub-bootstrap", "vault-client", "agent-runtime", "heartbeat", "vault-bridge", "console", "cli");

    /** Plain Java libraries: no Quarkus, no CDI; the CLI and the services both build on them. */
    static final List<String> LIBRARIES = List.of("protocol", "messaging", "assets", "render", "vault-client");

    /** The Quarkus services and their shared Quarkus glue: the CLI runs their packaged apps, never their classes. */
    static final List<String> SERVICES = List.of("service-support", "hub-bootstrap", "agent-runtime", "heartbeat",
            "vault-bridge", "console");

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
     * The classes compiled from any of {@code modules}, told by the {@code target/classes} directory they were read
     * from, so a rule names modules rather than every package a module happens to have.
     */
    static DescribedPredicate<JavaClass> inModules(List<String> modules) {
        Set<String> dirs = modules.stream().map(m -> "/" + m + "/target/classes/").collect(Collectors.toSet());
        return DescribedPredicate.describe("in modules " + modules,
                c -> c.getSource().map(src -> src.getUri().toString())
                        .filter(uri -> dirs.stream().anyMatch(uri::contains)).isPresent());
    }

    /**
     * The agent's pipeline is a row of stages that the runtime wires: no stage reaches back into the runtime or the
     * service that start it (issue 24). The CLI uses libraries only (issue 24): no class of a service module, by
     * module and by the services' packages (hub, heartbeat, the vault bridge's, agent, console), so a class moved into
     * a service module or a package renamed in one is still caught.
     */
    static final ArchRule STAGES_DO_NOT_CALL_BACK = noClasses().that().resideInAPackage("dev.orgmesh.agent.pipeline..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.orgmesh.agent.runtime..",
                    "dev.orgmesh.agent.service..");
    static final ArchRule CLI_USES_LIBRARIES = noClasses().that().resideInAPackage("dev.orgmesh.cli..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.orgmesh.agent..", "dev.orgmesh.console..",
                    "dev.orgmesh.hub..", "dev.orgmesh.heartbeat..", "dev.orgmesh.vault.bridge..",
                    "dev.orgmesh.vault.backend..", "dev.orgmesh.vault.keys..", "dev.orgmesh.vault.policy..",
                    "dev.orgmesh.vault.service..", "dev.orgmesh.service..")
            .orShould().dependOnClassesThat(inModules(SERVICES));

    /** Libraries stay plain Java: nothing of Quarkus or CDI, so the CLI and any other client can use them as they are. */
    static final ArchRule LIBRARIES_ARE_PLAIN_JAVA = noClasses().that(inModules(LIBRARIES))
            .should().dependOnClassesThat().resideInAnyPackage("io.quarkus..", "jakarta.enterprise..",
                    "jakarta.inject..");

    @Test
    void stagesDoNotCallBackAndTheCliUsesLibraries() {
        JavaClasses classes = mainClasses();
        STAGES_DO_NOT_CALL_BACK.check(classes);
        CLI_USES_LIBRARIES.check(classes);
    }

    @Test
    void librariesUseNeitherQuarkusNorCdi() {
        JavaClasses classes = mainClasses();
        LIBRARIES_ARE_PLAIN_JAVA.check(classes);
    }

    /**
     * The module rules are not vacuous: every module is recognised by where its classes were read from, as the origin
     * and as the target of a dependency, and the libraries' rule fails once a service module is counted in.
     */
    @Test
    void theModuleRulesRecogniseEveryModuleAndCanFail() {
        JavaClasses classes = mainClasses();
        for (String m : MODULES) {
            assertThat(classes.that(inModules(List.of(m)))).as("classes of %s", m).isNotEmpty();
        }
        assertThatThrownBy(() -> noClasses().that(inModules(List.of("hub-bootstrap"))).should()
                .dependOnClassesThat(inModules(List.of("render"))).check(classes))
                .as("hub-bootstrap uses render").isInstanceOf(AssertionError.class)
                .hasMessageContaining("dev.orgmesh.render");
        List<String> withAService = Stream.concat(LIBRARIES.stream(), Stream.of("hub-bootstrap")).toList();
        assertThatThrownBy(() -> noClasses().that(inModules(withAService)).should().dependOnClassesThat()
                .resideInAnyPackage("io.quarkus..", "jakarta.enterprise..").check(classes))
                .isInstanceOf(AssertionError.class).hasMessageContaining("dev.orgmesh.hub");
    }

    /** The rule can fail: two test packages that import each other break it. */
    @Test
    void theRuleFindsACycle() {
        JavaClasses cyclic = new ClassFileImporter().importPackages("dev.orgmesh.evidence.architecture.cyclic");
        assertThatThrownBy(() -> NO_CYCLES.check(cyclic)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("cyclic.a").hasMessageContaining("cyclic.b");
    }

    /** The packages of the annotations that make a class a Quarkus entry point. */
    static final List<String> ENTRY_POINT_ANNOTATIONS = List.of("jakarta.enterprise.", "jakarta.inject",
            "io.quarkus.", "jakarta.ws.rs", "org.eclipse.microprofile.health", "io.smallrye.config");

    /**
     * What makes a class a Quarkus entry point: a CDI scope or {@code @Singleton}, {@code @Startup}, a JAX-RS
     * {@code @Path} or {@code @Provider}, a health check, a {@code @ConfigMapping}; told by the annotation's package.
     */
    static final DescribedPredicate<JavaClass> QUARKUS_ENTRY_POINT = DescribedPredicate.describe(
            "annotated for Quarkus or CDI", c -> c.getAnnotations().stream().map(a -> a.getRawType().getPackageName())
                    .anyMatch(p -> ENTRY_POINT_ANNOTATIONS.stream().anyMatch(p::startsWith)));
    /**
     * The packages a service's entry points live in: {@code service} (start-up, beans, config, health) and {@code rest}
     * (JAX-RS resources and filters).
     */
    static final String[] ENTRY_POINT_PACKAGES = {"dev.orgmesh..service..", "dev.orgmesh..rest.."};

    /**
     * Entry points are thin (issue 24, STYLE.md "Code" 1). ArchUnit cannot count a method's lines, so two rules stand
     * for it: every class annotated for Quarkus or CDI lives in an entry-point package, and no class outside those
     * packages depends on one inside them. Logic therefore lives in plain classes the entry points call, which
     * cannot call back into the Quarkus layer and are unit-testable without it.
     */
    static ArchRule entryPointsLiveInServicePackages(DescribedPredicate<JavaClass> scope) {
        return classes().that(scope).and(QUARKUS_ENTRY_POINT).should().resideInAnyPackage(ENTRY_POINT_PACKAGES)
                .as("classes annotated for Quarkus or CDI live in service or rest packages");
    }

    /** The second half of the rule above: the Quarkus layer is called, never called back. */
    static ArchRule nothingDependsOnEntryPoints(DescribedPredicate<JavaClass> scope) {
        return noClasses().that(scope).and().resideOutsideOfPackages(ENTRY_POINT_PACKAGES).should()
                .dependOnClassesThat().resideInAnyPackage(ENTRY_POINT_PACKAGES)
                .as("no class outside the service and rest packages depends on one inside them");
    }

    @Test
    void entryPointsStayThin() {
        JavaClasses classes = mainClasses();
        assertThat(classes.that(inModules(SERVICES)).that(QUARKUS_ENTRY_POINT)).as("entry points found")
                .hasSizeGreaterThan(15);
        entryPointsLiveInServicePackages(inModules(SERVICES)).check(classes);
        nothingDependsOnEntryPoints(inModules(SERVICES)).check(classes);
    }

    /**
     * The thin-entry-point rules can fail: in the test package {@code thin}, a bean outside the service package and a
     * plain class that calls a service bean break them, and the service bean itself breaks neither.
     */
    @Test
    void theThinEntryPointRulesFindLogicInTheQuarkusLayer() {
        JavaClasses thin = new ClassFileImporter().importPackages("dev.orgmesh.evidence.architecture.thin");
        DescribedPredicate<JavaClass> all = DescribedPredicate.describe("all", c -> true);
        assertThatThrownBy(() -> entryPointsLiveInServicePackages(all).check(thin))
                .isInstanceOf(AssertionError.class).hasMessageContaining("thin.logic.StrayBean")
                .hasMessageNotContaining("thin.service.PlanService>");
        assertThatThrownBy(() -> nothingDependsOnEntryPoints(all).check(thin)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("thin.logic.Planner").hasMessageContaining("thin.service.PlanService");
    }

    /** Jackson's calls that decode JSON into a class given as a class literal. */
    static final Set<String> DECODERS = Set.of("readValue", "treeToValue", "convertValue");
    /**
     * Where the modules that declare wire types and KV record formats (issue 24), protocol and vault-client, are read
     * from: their {@code target/classes} or their jar.
     */
    static final Pattern WIRE_MODULES = Pattern.compile(
            ".*/(protocol|vault-client)/target/classes/.*|.*/orgmesh-(protocol|vault-client)-[^/]*\\.jar!/.*");

    /**
     * One model per concept (issue 24): a class that decodes JSON into a record decodes a record declared in protocol
     * or vault-client, never a copy of its own. Wire types are read by another module or process, so a reader that
     * declares its own record for one is a second definition of it. (A reader that parses a tree by hand escapes
     * this rule; reviews catch those.)
     */
    static final ArchRule DECODES_ONLY_PROTOCOL_RECORDS = classes().should(
            new ArchCondition<JavaClass>("decode JSON only into records declared in protocol or vault-client") {
                @Override
                public void check(JavaClass c, ConditionEvents events) {
                    boolean decodes = c.getMethodCallsFromSelf().stream()
                            .anyMatch(call -> call.getTargetOwner().getPackageName()
                                    .startsWith("com.fasterxml.jackson.databind") && DECODERS.contains(call.getName()));
                    if (!decodes) {
                        return;
                    }
                    for (ReferencedClassObject r : c.getReferencedClassObjects()) {
                        JavaClass t = r.getRawType();
                        if (t.isRecord() && !declaredInAWireModule(t)) {
                            events.add(SimpleConditionEvent.violated(c, c.getName() + " decodes JSON into "
                                    + t.getName() + ", declared outside protocol and vault-client "
                                    + r.getSourceCodeLocation()));
                        }
                    }
                }
            });

    static boolean declaredInAWireModule(JavaClass t) {
        String where = t.getSource().map(s -> s.getUri().toString()).orElse("");
        return WIRE_MODULES.matcher(where).matches();
    }

    @Test
    void onlyProtocolDefinesWireTypes() {
        DECODES_ONLY_PROTOCOL_RECORDS.check(mainClasses());
    }

    /** The wire rule can fail: a test class that decodes into its own copy of a wire type breaks it. */
    @Test
    void theWireRuleFindsAnOwnCopy() {
        JavaClasses owncopy = new ClassFileImporter().importPackages("dev.orgmesh.evidence.architecture.wire");
        assertThatThrownBy(() -> DECODES_ONLY_PROTOCOL_RECORDS.check(owncopy)).isInstanceOf(AssertionError.class)
                .hasMessageContaining("OwnCopy$MyPresence").hasMessageNotContaining("decodes JSON into "
                        + "dev.orgmesh.protocol.Presence");
    }
}
