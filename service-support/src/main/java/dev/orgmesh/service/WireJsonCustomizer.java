package dev.orgmesh.service;

import jakarta.inject.Singleton;

import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.jackson.ObjectMapperCustomizer;

import dev.orgmesh.protocol.Json;

/**
 * Gives the {@code ObjectMapper} Quarkus manages (the one REST endpoints, Reactive Messaging and any injection point
 * use) the settings of protocol's {@link Json#mapper()}, so a service serializes wire types exactly as the libraries
 * do: snake_case, unknown fields ignored, instants as ISO-8601, strict and bounded parsing. It runs after Quarkus'
 * own {@code quarkus.jackson.*} customizer, so these settings win.
 */
@Singleton
public class WireJsonCustomizer implements ObjectMapperCustomizer {
    @Override
    public void customize(ObjectMapper mapper) {
        Json.applyTo(mapper);
    }
}
