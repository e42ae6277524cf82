/** The model pipeline: middleware type, compose, and the middleware that make calls resilient. */
export * from './middleware.js';
