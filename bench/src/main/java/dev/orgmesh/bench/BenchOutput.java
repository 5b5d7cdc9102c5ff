package dev.orgmesh.bench;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Where benchmark results go: standard output, which is this command-line program's real output. */
final class BenchOutput {
    private static final PrintStream OUT = new PrintStream(new FileOutputStream(FileDescriptor.out),
            true,
            StandardCharsets.UTF_8);

    private BenchOutput() {
    }

    static void print(String text) {
        OUT.print(text);
        OUT.flush();
    }

    static void progress(String line) {
        print("<!-- " + line + " -->\n");
    }
}
