package dev.orgmesh.agent.service;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import io.quarkus.arc.DefaultBean;

import dev.orgmesh.agent.brain.Handler;

/** The brain until one is configured (brains come with part 2): handles every message by doing nothing. */
@ApplicationScoped
public class HandlerProducer {
    @Produces
    @DefaultBean
    @ApplicationScoped
    Handler handler() {
        return Handler.NOTHING;
    }
}
