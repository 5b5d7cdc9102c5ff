package dev.orgmesh.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ErrorCatalogueTest {
    @Test
    void codesAreUniqueAndInTheirModuleBlock() {
        Set<Integer> seen = new HashSet<>();
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(seen.add(c.code())).as("duplicate code %s", c.code()).isTrue();
            assertThat(ErrorCode.byCode(c.code())).isSameAs(c);
            String block = switch (c.code() / 100) {
                case 10 -> "ORG_";
                case 11 -> "ENVELOPE_";
                case 90 -> "CONSOLE_";
                default -> null;
            };
            if (block != null) {
                assertThat(c.name()).startsWith(block);
            }
            assertThat(c.code()).isBetween(1000, 9099);
        }
    }

    @Test
    void docsListEveryCode() throws IOException {
        Path doc = Path.of("..", "docs", "errors.md");
        String text = Files.readString(doc);
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(text).as("docs/errors.md lists %s", c).contains("| " + c.code() + " | `" + c.name() + "` |");
        }
    }
}
