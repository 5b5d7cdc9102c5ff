package dev.orgmesh.testkit;

import java.util.Optional;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Injects real NATS topologies into test constructors, lifecycle and test methods: {@link NatsServer} (a single
 * JetStream server), {@link HubTopology} (leaf count from {@link Leaves}, default {@value #DEFAULT_LEAVES}) and
 * {@link NatsCluster} (3 nodes).
 *
 * <p>
 * Starting servers costs seconds, so each topology is started once per test class, on first use, and shared by
 * its tests; it lives in the class-level {@link ExtensionContext.Store} and JUnit closes it after the class. Tests
 * sharing a topology use random subjects and stream names. Use with {@code @ExtendWith(NatsExtension.class)} or
 * {@link NatsTest}.
 */
public final class NatsExtension implements ParameterResolver {

    /** Leaves of an injected {@link HubTopology} without {@link Leaves}. */
    public static final int DEFAULT_LEAVES = 2;

    /** Nodes of an injected {@link NatsCluster}. */
    public static final int CLUSTER_SIZE = 3;

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(NatsExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        return type == NatsServer.class || type == HubTopology.class || type == NatsCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Class<?> type = parameterContext.getParameter().getType();
        ExtensionContext.Store store = classContext(extensionContext).getStore(NAMESPACE);
        try {
            if (type == NatsServer.class) {
                return store.computeIfAbsent(NatsServer.class, key -> NatsServer.jetStream(), NatsServer.class);
            }
            if (type == NatsCluster.class) {
                return store.computeIfAbsent(NatsCluster.class, key -> NatsCluster.start(CLUSTER_SIZE),
                        NatsCluster.class);
            }
            int leaves = leaves(parameterContext, extensionContext);
            return store.computeIfAbsent(new HubKey(leaves), key -> HubTopology.start(key.leaves()), HubTopology.class);
        } catch (RuntimeException e) {
            throw new ParameterResolutionException("cannot start NATS for " + parameterContext.getParameter(), e);
        }
    }

    /** The nearest class-level context, so one topology serves every test of the class. */
    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        return current;
    }

    private static int leaves(ParameterContext parameterContext, ExtensionContext extensionContext) {
        Optional<Leaves> annotation = parameterContext.findAnnotation(Leaves.class);
        if (annotation.isEmpty()) {
            annotation = extensionContext.getTestClass()
                    .flatMap(testClass -> AnnotationSupport.findAnnotation(testClass, Leaves.class));
        }
        int leaves = annotation.map(Leaves::value).orElse(DEFAULT_LEAVES);
        if (leaves < 0) {
            throw new ParameterResolutionException("@Leaves must be >= 0, was " + leaves);
        }
        return leaves;
    }

    /** Hubs with different leaf counts in one class are different topologies. */
    private record HubKey(int leaves) {
    }
}
