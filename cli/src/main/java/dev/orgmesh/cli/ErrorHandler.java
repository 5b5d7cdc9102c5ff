package dev.orgmesh.cli;

import dev.orgmesh.protocol.ErrorCode;
import dev.orgmesh.protocol.OrgmeshException;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/** Turns an {@link OrgmeshException} into one clear line on stderr and exit status 1, never a stack trace. */
final class ErrorHandler implements IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        if (ex instanceof OrgmeshException e) {
            cl.getErr().println("orgmesh: " + e.getMessage() + " [" + e.code().label() + "]");
            cl.getErr().flush();
            return e.code() == ErrorCode.CLI_USAGE ? 2 : OrgmeshCommand.EXIT_INVALID;
        }
        cl.getErr().println("orgmesh: unexpected error: " + ex);
        cl.getErr().flush();
        return 70;
    }
}
