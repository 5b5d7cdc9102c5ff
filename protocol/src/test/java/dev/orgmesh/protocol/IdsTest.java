package dev.orgmesh.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class IdsTest {
    @Test
    void idsAreUniqueAndSortByTime() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(Ids.next())).isTrue();
        }
        assertThat(Ids.next(1_000)).isLessThan(Ids.next(2_000));
        assertThat(Ids.next()).hasSize(26).matches("[0-9A-HJKMNP-TV-Z]{26}");
    }
}
