// Package lanternfish is the Go client of the Lanternfish job queue.
//
// Create a client and enqueue a job:
//
//	c := lanternfish.NewClient("http://localhost:7400")
//	id, err := c.Enqueue(ctx, "emails", payload)
package lanternfish

import "context"

// Client talks to one Lanternfish server.
type Client struct {
	baseURL string
}

// NewClient returns a client for the server at baseURL.
func NewClient(baseURL string) *Client {
	return &Client{baseURL: baseURL}
}

// DrainTimeout bounds how long Drain waits for running jobs, in seconds.
const DrainTimeout = 30

// Drain waits until every running job of queue has finished or DrainTimeout
// has passed, and reports how many jobs were still running at the end.
func (c *Client) Drain(ctx context.Context, queue string) (int, error) {
	return 0, nil
}

// retry is unexported and not part of the API.
func (c *Client) retry() {}
