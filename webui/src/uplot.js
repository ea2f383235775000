// uPlot in its own chunk: only the history screen loads it (its stylesheet is in the app's).
import uPlot from "uplot";

export default uPlot;
