/**
 * The sandbox's built-in product catalogue and places, used to generate orders that look like Pincode's.
 * Prices are paise (the ORDER_VIEW money unit, PINCODE-API A3). Product names are generic; buyers are invented
 * ("Test Buyer 17", phone 90000000xx, example.com e-mail) so no real person's data can appear.
 */
export interface CatalogProduct {
  sku: string;
  name: string;
  displayMeasurement: string;
  /** MRP per unit, paise. */
  mrp: number;
  /** Selling price per unit, paise. */
  sellingPrice: number;
  prescriptionRequired: boolean;
}

export const PRODUCTS: readonly CatalogProduct[] = [
  {
    sku: "GRO-ATTA-5KG",
    name: "Whole Wheat Atta",
    displayMeasurement: "5kg",
    mrp: 29500,
    sellingPrice: 26900,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-TOOR-1KG",
    name: "Toor Dal (Arhar)",
    displayMeasurement: "1kg",
    mrp: 19900,
    sellingPrice: 17400,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-BASMATI-1KG",
    name: "Basmati Rice",
    displayMeasurement: "1kg",
    mrp: 16500,
    sellingPrice: 13900,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-SUNOIL-1L",
    name: "Refined Sunflower Oil",
    displayMeasurement: "1L",
    mrp: 18000,
    sellingPrice: 15500,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-TEA-250G",
    name: "Masala Chai Tea Leaves",
    displayMeasurement: "250g",
    mrp: 14000,
    sellingPrice: 12500,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-JAGGERY-500G",
    name: "Organic Jaggery Powder",
    displayMeasurement: "500g",
    mrp: 9000,
    sellingPrice: 8200,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-GHEE-500ML",
    name: "Cow Ghee",
    displayMeasurement: "500ml",
    mrp: 34000,
    sellingPrice: 32500,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-POHA-500G",
    name: "Thick Poha",
    displayMeasurement: "500g",
    mrp: 5500,
    sellingPrice: 4900,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-BESAN-500G",
    name: "Besan (Gram Flour)",
    displayMeasurement: "500g",
    mrp: 7500,
    sellingPrice: 6800,
    prescriptionRequired: false,
  },
  {
    sku: "GRO-HALDI-100G",
    name: "Turmeric Powder",
    displayMeasurement: "100g",
    mrp: 4200,
    sellingPrice: 3900,
    prescriptionRequired: false,
  },
  {
    sku: "DRY-MILK-1L",
    name: "Toned Milk",
    displayMeasurement: "1L",
    mrp: 6800,
    sellingPrice: 6800,
    prescriptionRequired: false,
  },
  {
    sku: "DRY-PANEER-200G",
    name: "Fresh Paneer",
    displayMeasurement: "200g",
    mrp: 9500,
    sellingPrice: 9000,
    prescriptionRequired: false,
  },
  {
    sku: "DRY-CURD-400G",
    name: "Set Curd",
    displayMeasurement: "400g",
    mrp: 4500,
    sellingPrice: 4500,
    prescriptionRequired: false,
  },
  {
    sku: "BEV-COLA-2L",
    name: "Cold Drink",
    displayMeasurement: "2L",
    mrp: 10000,
    sellingPrice: 9500,
    prescriptionRequired: false,
  },
  {
    sku: "SNK-BHUJIA-400G",
    name: "Aloo Bhujia",
    displayMeasurement: "400g",
    mrp: 11000,
    sellingPrice: 9900,
    prescriptionRequired: false,
  },
  {
    sku: "HH-FOIL-9M",
    name: "Aluminium Foil",
    displayMeasurement: "9m",
    mrp: 15000,
    sellingPrice: 12500,
    prescriptionRequired: false,
  },
  {
    sku: "HH-DETERGENT-1KG",
    name: "Detergent Powder",
    displayMeasurement: "1kg",
    mrp: 13500,
    sellingPrice: 11900,
    prescriptionRequired: false,
  },
  {
    sku: "PHA-PCM-500-15",
    name: "Paracetamol 500mg Tablets",
    displayMeasurement: "15 tablets",
    mrp: 3500,
    sellingPrice: 3150,
    prescriptionRequired: false,
  },
  {
    sku: "PHA-ORS-200ML",
    name: "ORS Electrolyte Drink",
    displayMeasurement: "200ml",
    mrp: 3200,
    sellingPrice: 3000,
    prescriptionRequired: false,
  },
  {
    sku: "PHA-AMOX-500-10",
    name: "Amoxicillin 500mg Capsules",
    displayMeasurement: "10 capsules",
    mrp: 12000,
    sellingPrice: 10800,
    prescriptionRequired: true,
  },
  {
    sku: "PHA-AZI-500-3",
    name: "Azithromycin 500mg Tablets",
    displayMeasurement: "3 tablets",
    mrp: 11950,
    sellingPrice: 10750,
    prescriptionRequired: true,
  },
  {
    sku: "PHA-CETI-10-10",
    name: "Cetirizine 10mg Tablets",
    displayMeasurement: "10 tablets",
    mrp: 2200,
    sellingPrice: 1980,
    prescriptionRequired: false,
  },
  {
    sku: "PHA-METF-500-20",
    name: "Metformin 500mg Tablets",
    displayMeasurement: "20 tablets",
    mrp: 4500,
    sellingPrice: 4050,
    prescriptionRequired: true,
  },
  {
    sku: "PHA-VITC-500-15",
    name: "Vitamin C 500mg Chewable Tablets",
    displayMeasurement: "15 tablets",
    mrp: 2500,
    sellingPrice: 2250,
    prescriptionRequired: false,
  },
];

export interface Place {
  city: string;
  state: string;
  pincode: string;
  lat: number;
  lon: number;
  localities: readonly string[];
}

export const PLACES: readonly Place[] = [
  {
    city: "Bengaluru",
    state: "Karnataka",
    pincode: "560034",
    lat: 12.9352,
    lon: 77.6245,
    localities: ["Koramangala", "HSR Layout", "Indiranagar"],
  },
  {
    city: "Mumbai",
    state: "Maharashtra",
    pincode: "400076",
    lat: 19.1176,
    lon: 72.906,
    localities: ["Powai", "Andheri East", "Chembur"],
  },
  {
    city: "New Delhi",
    state: "Delhi",
    pincode: "110017",
    lat: 28.5273,
    lon: 77.2091,
    localities: ["Saket", "Malviya Nagar", "Hauz Khas"],
  },
  {
    city: "Pune",
    state: "Maharashtra",
    pincode: "411014",
    lat: 18.5679,
    lon: 73.9143,
    localities: ["Viman Nagar", "Kharadi", "Kalyani Nagar"],
  },
  {
    city: "Hyderabad",
    state: "Telangana",
    pincode: "500081",
    lat: 17.4483,
    lon: 78.3915,
    localities: ["Madhapur", "Gachibowli", "Kondapur"],
  },
  {
    city: "Chennai",
    state: "Tamil Nadu",
    pincode: "600020",
    lat: 13.0067,
    lon: 80.2573,
    localities: ["Adyar", "Besant Nagar", "Thiruvanmiyur"],
  },
  {
    city: "Vadodara",
    state: "Gujarat",
    pincode: "390011",
    lat: 22.2818,
    lon: 73.2026,
    localities: ["Alkapuri", "Akota", "Manjalpur"],
  },
  {
    city: "Kolkata",
    state: "West Bengal",
    pincode: "700091",
    lat: 22.5726,
    lon: 88.4339,
    localities: ["Salt Lake", "New Town", "Rajarhat"],
  },
];
