/** Yield to the event loop so that cancel messages, signals and timers get through long work. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
