package dev.orgmesh.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * How many leaves the {@link HubTopology} injected by {@link NatsExtension} has; on the parameter or on the test
 * class. Without it a hub gets {@value NatsExtension#DEFAULT_LEAVES} leaves, enough to test leaf-to-leaf paths.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.PARAMETER, ElementType.TYPE})
public @interface Leaves {

    /** Number of leaf servers, at least 0. */
    int value();
}
